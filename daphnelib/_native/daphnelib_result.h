/* The result record the executor fills and the reader turns into numpy arrays.
 *
 * Field order and meaning follow libdaphnelib's DaphneLibResult (a matrix: address, rows,
 * cols, vtc; a frame: rows, cols and per-column vtcs, labels, columns), so one reader serves
 * every backend. error_message is a C string here: the original declares a std::string on
 * the C++ side and a char* on the Python side, two different layouts. */
#ifndef DAPHNELIB_RESULT_H
#define DAPHNELIB_RESULT_H
#include <stdint.h>

typedef struct DaphneLibResult {
    void *address;
    int64_t rows;
    int64_t cols;
    int64_t vtc;
    int64_t *vtcs;
    char **labels;
    void **columns;
    const char *error_message;
} DaphneLibResult;

#endif
