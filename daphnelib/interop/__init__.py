"""Exchange with other libraries, one module per library; each imports its library lazily."""
