/*
 * atfork_lib.c - a stand-in for a C extension that does work in atfork
 * handlers (OpenBLAS, gRPC): it counts every call of its handlers. Loaded
 * with ctypes by fork_target.py; test_fork.py checks that a copy-on-write
 * dump calls none of them.
 */
#include <pthread.h>
#include <stdatomic.h>

static atomic_int prepared, in_parent, in_child;

static void on_prepare(void)
{
	atomic_fetch_add(&prepared, 1);
}

static void on_parent(void)
{
	atomic_fetch_add(&in_parent, 1);
}

static void on_child(void)
{
	atomic_fetch_add(&in_child, 1);
}

__attribute__((constructor)) static void install(void)
{
	pthread_atfork(on_prepare, on_parent, on_child);
}

/* prepare, parent and child calls so far, packed in one int: p*10000 + q*100 + c (each < 100) */
int atfork_calls(void)
{
	return atomic_load(&prepared) * 10000 + atomic_load(&in_parent) * 100 + atomic_load(&in_child);
}
