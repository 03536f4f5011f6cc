/* A numpy memory handler (NEP 49) whose blocks are 64-byte aligned.
 *
 * TensorFlow's DLPack import aborts the process on buffers that are not 64-byte aligned, and
 * numpy's default allocator only promises 16 bytes. Installing this handler while the engine
 * runs makes every buffer the engine allocates exportable as is. Each block stores the pointer
 * malloc returned in the 8 bytes before the aligned address. */
#ifndef DAPHNELIB_ALIGNED_ALLOC_H
#define DAPHNELIB_ALIGNED_ALLOC_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <Python.h>
#include <numpy/arrayobject.h>
#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif

#define DL_ALIGN 64
/* Blocks from this size on ask Linux for transparent huge pages, as numpy's own allocator
 * does: first-touch page faults otherwise cost several times the work of a ufunc pass. */
#define DL_HUGEPAGE_MIN ((size_t)1 << 22)

static void dl_hint_hugepages(char *raw, size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (size >= DL_HUGEPAGE_MIN) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t start = ((uintptr_t)raw + page - 1) & ~(page - 1);
        madvise((void *)start, size - (size_t)(start - (uintptr_t)raw), MADV_HUGEPAGE);
    }
#else
    (void)raw;
    (void)size;
#endif
}

static void *dl_malloc(void *ctx, size_t size) {
    (void)ctx;
    if (size > SIZE_MAX - DL_ALIGN) return NULL;
    char *raw = (char *)malloc(size + DL_ALIGN);
    if (raw == NULL) return NULL;
    dl_hint_hugepages(raw, size + DL_ALIGN);
    /* malloc is 16-byte aligned, so the gap is 16..64 bytes: room for the raw pointer. */
    char *p = (char *)(((uintptr_t)raw + DL_ALIGN) & ~(uintptr_t)(DL_ALIGN - 1));
    ((void **)p)[-1] = raw;
    return p;
}

static void *dl_calloc(void *ctx, size_t nelem, size_t elsize) {
    if (elsize != 0 && nelem > SIZE_MAX / elsize) return NULL;
    void *p = dl_malloc(ctx, nelem * elsize);
    if (p != NULL) memset(p, 0, nelem * elsize);
    return p;
}

static void *dl_realloc(void *ctx, void *ptr, size_t new_size) {
    if (ptr == NULL) return dl_malloc(ctx, new_size);
    if (new_size > SIZE_MAX - DL_ALIGN) return NULL;
    char *raw = (char *)((void **)ptr)[-1];
    size_t offset = (size_t)((char *)ptr - raw);
    char *new_raw = (char *)realloc(raw, new_size + DL_ALIGN);
    if (new_raw == NULL) return NULL;
    char *p = (char *)(((uintptr_t)new_raw + DL_ALIGN) & ~(uintptr_t)(DL_ALIGN - 1));
    /* realloc kept the bytes at the old offset; move them if the alignment gap changed. */
    if ((size_t)(p - new_raw) != offset) memmove(p, new_raw + offset, new_size);
    ((void **)p)[-1] = new_raw;
    return p;
}

static void dl_free(void *ctx, void *ptr, size_t size) {
    (void)ctx;
    (void)size;
    if (ptr != NULL) free(((void **)ptr)[-1]);
}

static PyDataMem_Handler dl_aligned_handler = {
    "daphnelib_aligned64", 1, {NULL, dl_malloc, dl_calloc, dl_realloc, dl_free}
};

static PyObject *dl_aligned_handler_capsule(void) {
    return PyCapsule_New(&dl_aligned_handler, "mem_handler", NULL);
}

#endif
