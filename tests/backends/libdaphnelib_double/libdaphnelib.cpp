// A test double of DAPHNE's libdaphnelib.so: the same two C entry points and the same
// result record (std::string included), so daphnelib's "daphne" backend runs end to end
// without a DAPHNE build. daphne() runs the script with daphnelib's own DaphneDSL front end,
// in the interpreter that loaded this library (the module named by DOUBLE_RUNNER reads the
// argv, implements receiveFromNumpy over raw addresses and describes the saved result).
//
// Like DAPHNE, the double never frees a result: the per-column arrays and strings below and
// the Python values the runner keeps stay alive for the lifetime of the process.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#ifndef DOUBLE_RUNNER
#error "compile with -DDOUBLE_RUNNER=\"module.name\""
#endif

struct DaphneLibResult {
    void *address;
    int64_t rows;
    int64_t cols;
    int64_t vtc;
    int64_t *vtcs;
    char **labels;
    void **columns;
    std::string error_message;
};

namespace {

DaphneLibResult result{};

// What one saved result points to; kept forever, as DAPHNE keeps its results.
struct Kept {
    std::vector<int64_t> vtcs;
    std::vector<std::string> label_text;
    std::vector<char *> labels;
    std::vector<void *> columns;
    std::deque<std::vector<std::string>> strings;  // string data: std::string objects
};
std::deque<Kept> kept;

int64_t item_int(PyObject *seq, Py_ssize_t i) {
    return PyLong_AsLongLong(PyTuple_GET_ITEM(seq, i));
}

// The runner's error text, or the current Python exception's.
std::string python_error() {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    std::string text = "the test double failed";
    PyObject *s = value ? PyObject_Str(value) : nullptr;
    if (s) {
        const char *utf8 = PyUnicode_AsUTF8(s);
        if (utf8) text += std::string(": ") + utf8;
        Py_DECREF(s);
    }
    PyErr_Clear();
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return text;
}

// Fill `result` from the runner's description:
// (status, message, kind, rows, cols, vtcs, labels, addresses, strings), kind 1 = matrix,
// 2 = frame, 0 = nothing saved; per column, `strings` is None or the column's str values.
int fill(PyObject *d) {
    int status = (int)item_int(d, 0);
    if (status != 0) {
        const char *msg = PyUnicode_AsUTF8(PyTuple_GET_ITEM(d, 1));
        result.error_message = msg ? msg : "error";
        return status;  // DAPHNE leaves the previous result's pointers in place
    }
    result.error_message.clear();
    int64_t kind = item_int(d, 2);
    if (kind == 0) return 0;
    Kept &k = kept.emplace_back();
    PyObject *vtcs = PyTuple_GET_ITEM(d, 5), *labels = PyTuple_GET_ITEM(d, 6);
    PyObject *addresses = PyTuple_GET_ITEM(d, 7), *strings = PyTuple_GET_ITEM(d, 8);
    Py_ssize_t n = PyList_GET_SIZE(vtcs);
    for (Py_ssize_t i = 0; i < n; ++i) {
        k.vtcs.push_back(PyLong_AsLongLong(PyList_GET_ITEM(vtcs, i)));
        PyObject *col = PyList_GET_ITEM(strings, i);
        if (col == Py_None) {
            k.columns.push_back(PyLong_AsVoidPtr(PyList_GET_ITEM(addresses, i)));
            continue;
        }
        std::vector<std::string> &values = k.strings.emplace_back();
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(col); ++j) {
            Py_ssize_t len = 0;
            const char *utf8 = PyUnicode_AsUTF8AndSize(PyList_GET_ITEM(col, j), &len);
            values.emplace_back(utf8 ? utf8 : "", utf8 ? len : 0);
        }
        k.columns.push_back(values.data());
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(labels); ++i)
        k.label_text.emplace_back(PyBytes_AsString(PyList_GET_ITEM(labels, i)));
    for (std::string &s : k.label_text) k.labels.push_back(s.data());
    result.rows = item_int(d, 3);
    result.cols = item_int(d, 4);
    if (kind == 1) {
        result.address = k.columns.empty() ? nullptr : k.columns[0];
        result.vtc = k.vtcs.empty() ? -1 : k.vtcs[0];
        result.vtcs = nullptr;
        result.labels = nullptr;
        result.columns = nullptr;
    } else {
        // +1: a frame without columns still has non-null arrays (the matrix/frame tell).
        k.vtcs.push_back(0);
        k.labels.push_back(nullptr);
        k.columns.push_back(nullptr);
        result.address = nullptr;
        result.vtc = -1;
        result.vtcs = k.vtcs.data();
        result.labels = k.labels.data();
        result.columns = k.columns.data();
    }
    return 0;
}

}  // namespace

extern "C" DaphneLibResult getResult() { return result; }

extern "C" int daphne(const char *libDirPath, const char *scriptPath) {
    PyGILState_STATE gil = PyGILState_Ensure();
    int status = 3;
    PyObject *d = nullptr;
    PyObject *runner = PyImport_ImportModule(DOUBLE_RUNNER);
    if (runner) {
        d = PyObject_CallMethod(runner, "run", "ss", libDirPath, scriptPath);
        Py_DECREF(runner);
    }
    if (d && PyTuple_Check(d) && PyTuple_GET_SIZE(d) == 9) {
        status = fill(d);
    } else {
        result.error_message = python_error();
    }
    Py_XDECREF(d);
    PyGILState_Release(gil);
    return status;
}
