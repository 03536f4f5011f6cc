"""daphnelib.script_building."""
