/* pipeline/arena.c: the per-article bump allocator. Alignment, allocations
 * larger than a block, reset keeping only the first block, and sizes that
 * cannot be allocated. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
/* From <sanitizer/allocator_interface.h>, which GCC does not ship. */
size_t __sanitizer_get_current_allocated_bytes(void);
/* Let malloc return NULL for impossible sizes instead of aborting, as the
 * C library does. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "allocator_may_return_null=1";
}
#else
#include <malloc.h>
#endif

#include "pipeline/arena.h"

static const size_t align = _Alignof(max_align_t);

/* Bytes the process has allocated from the heap right now. */
static size_t heap_in_use(void) {
#if defined(__SANITIZE_ADDRESS__)
        return __sanitizer_get_current_allocated_bytes();
#else
        struct mallinfo2 mi = mallinfo2();
        return mi.uordblks + mi.hblkhd;   /* large blocks are mmap()ed */
#endif
}

static void alignment(void **state) {
        struct arena *a = arena_new(4096);
        assert_non_null(a);
        unsigned char *prev = NULL;
        size_t prev_size = 0;
        for (size_t size = 0; size < 300; size++) {
                unsigned char *p = arena_alloc(a, size);
                assert_non_null(p);
                if ((uintptr_t)p % align != 0)
                        fail_msg("arena_alloc(%zu) = %p is not aligned to %zu", size, (void *)p, align);
                memset(p, (int)(size & 0xFF), size);
                /* The previous allocation was not overwritten. */
                for (size_t i = 0; prev && i < prev_size; i++)
                        if (prev[i] != (unsigned char)((size - 1) & 0xFF))
                                fail_msg("allocation of %zu bytes overwrote the previous one", size);
                prev = p;
                prev_size = size;
        }
        /* Strings are aligned too, whatever came before. */
        for (int i = 0; i < 50; i++) {
                char *s = arena_strndup(a, "abcdefg", (size_t)i % 7);
                assert_non_null(s);
                assert_int_equal((uintptr_t)s % align, 0);
                assert_int_equal(strlen(s), (size_t)i % 7);
        }
        double *d = arena_alloc(a, sizeof(double) * 3);
        long double *ld = arena_alloc(a, sizeof(long double));
        assert_int_equal((uintptr_t)d % _Alignof(double), 0);
        assert_int_equal((uintptr_t)ld % _Alignof(long double), 0);
        *ld = 1.5L;
        d[2] = 2.5;
        arena_free(a);
}

static void zero_size_allocations_are_distinct(void **state) {
        struct arena *a = arena_new(1024);
        void *p = arena_alloc(a, 0), *q = arena_alloc(a, 0);
        assert_non_null(p);
        assert_non_null(q);
        assert_ptr_not_equal(p, q);
        arena_free(a);
}

static void large_allocations(void **state) {
        struct arena *a = arena_new(1024);
        char *small = arena_strdup(a, "before");
        size_t big_size = 3 * 1024 * 1024;
        char *big = arena_alloc(a, big_size);
        assert_non_null(big);
        memset(big, 'x', big_size);   /* all of it is usable (ASan checks) */
        char *after = arena_strdup(a, "after");
        assert_non_null(after);
        assert_string_equal(small, "before");
        assert_string_equal(after, "after");
        assert_int_equal(big[big_size - 1], 'x');
        assert_true(arena_used(a) >= big_size + 2 * align);
        /* Many blocks' worth of small allocations. */
        for (int i = 0; i < 10000; i++)
                assert_non_null(arena_printf(a, "item %d", i));
        arena_free(a);
}

static void reset_reuses_first_block(void **state) {
        struct arena *a = arena_new(8192);
        void *first = arena_alloc(a, 100);
        for (int i = 0; i < 1000; i++)
                arena_alloc(a, 100);   /* several more blocks */
        arena_alloc(a, 1 << 20);
        assert_true(arena_used(a) > (1 << 20));
        arena_reset(a);
        assert_int_equal(arena_used(a), 0);
        assert_ptr_equal(arena_alloc(a, 100), first);
        arena_free(a);
}

static void reset_frees_extra_blocks(void **state) {
        struct arena *a = arena_new(64 * 1024);
        size_t base = heap_in_use();
        /* One huge article: 8 MiB in one allocation and 2 MiB in small ones. */
        assert_non_null(arena_alloc(a, 8 << 20));
        for (int i = 0; i < 2048; i++)
                assert_non_null(arena_alloc(a, 1024));
        size_t peak = heap_in_use();
        assert_true(peak >= base + (10 << 20));
        arena_reset(a);
        size_t after = heap_in_use();
        if (after > base + 64 * 1024)
                fail_msg("after reset %zu bytes are still held (%zu before the article)", after, base);
        arena_free(a);
}

static void calloc_and_strings(void **state) {
        struct arena *a = arena_new(1024);
        unsigned char *z = arena_calloc(a, 100, 7);
        assert_non_null(z);
        for (size_t i = 0; i < 700; i++)
                assert_int_equal(z[i], 0);
        assert_string_equal(arena_strndup(a, "truncate me", 8), "truncate");
        assert_string_equal(arena_strdup(a, ""), "");
        assert_string_equal(arena_printf(a, "%s-%04d-%c", "id", 42, 'x'), "id-0042-x");
        char long_arg[5000];
        memset(long_arg, 'y', sizeof(long_arg) - 1);
        long_arg[sizeof(long_arg) - 1] = '\0';
        char *s = arena_printf(a, "<%s>", long_arg);
        assert_non_null(s);
        assert_int_equal(strlen(s), sizeof(long_arg) + 1);
        arena_free(a);
}

static void impossible_sizes_return_null(void **state) {
        struct arena *a = arena_new(1024);
        assert_null(arena_calloc(a, SIZE_MAX / 2, 4));   /* n * size overflows */
        assert_null(arena_alloc(a, SIZE_MAX));
        assert_null(arena_alloc(a, SIZE_MAX / 2));        /* malloc fails */
        /* The arena still works. */
        assert_string_equal(arena_strdup(a, "ok"), "ok");
        arena_free(a);
}

/* Regression test for a fixed bug (pipeline/arena.c, block_new(): `sizeof(*b) + size` overflows for
 * sizes within the block header of SIZE_MAX, which arena_alloc()'s check
 * lets through; malloc then gets a tiny size and the header is written past
 * it). Run in a child process, as the failure is a heap overflow. */
static void size_near_max_returns_null(void **state) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct arena *a = arena_new(1024);
                void *p = arena_alloc(a, SIZE_MAX - align);
                _exit(p == NULL ? 0 : 3);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status))
                fail_msg("arena_alloc(SIZE_MAX - %zu) crashed the process (signal %d)", align, WTERMSIG(status));
        if (WEXITSTATUS(status) == 3)
                fail_msg("arena_alloc(SIZE_MAX - %zu) returned memory instead of NULL", align);
        if (WEXITSTATUS(status) != 0)
                fail_msg("arena_alloc(SIZE_MAX - %zu) failed the process (exit %d; see the sanitizer report above)",
                         align, WEXITSTATUS(status));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(alignment),
                cmocka_unit_test(zero_size_allocations_are_distinct),
                cmocka_unit_test(large_allocations),
                cmocka_unit_test(reset_reuses_first_block),
                cmocka_unit_test(reset_frees_extra_blocks),
                cmocka_unit_test(calloc_and_strings),
                cmocka_unit_test(impossible_sizes_return_null),
                cmocka_unit_test(size_near_max_returns_null),
        };
        return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
