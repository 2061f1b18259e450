/*
 * arch.h - what the injector needs to know about the CPU, and nothing else.
 *
 * Everything architecture-specific lives in one file (arch_x86_64.c): the
 * register sets and their sizes, how a function call is laid out, the
 * system call instruction and numbers, the breakpoint instruction, and how
 * an interrupted system call restarts. docs/attach.md says what an arm64
 * port (arch_aarch64.c) has to provide.
 */
#ifndef GRAPHLEAK_ARCH_H
#define GRAPHLEAK_ARCH_H

#include <stddef.h>
#include <stdint.h>

/* A thread's user-visible state, saved before anything is changed and
 * written back exactly afterwards. */
typedef struct gl_thread_state {
	unsigned char gp[512]; /* general registers (NT_PRSTATUS) */
	size_t gp_len;
	unsigned char *ext;    /* the extended state at the kernel's size (x86-64: NT_X86_XSTATE); owned */
	size_t ext_len;
} gl_thread_state;

/* Reads tid's registers (general and extended, at the size the kernel
 * reports) into st, which it overwrites (free an earlier one first). 0, or
 * -1 with err. The signal mask is not the architecture's: inject.c reads it. */
int gl_arch_save(int tid, gl_thread_state *st, char *err, size_t len);

/* Writes the extended state back unchanged: a kernel that refuses it then
 * refuses before anything was changed. 0 or -1 (errno). */
int gl_arch_rewrite_ext(int tid, const gl_thread_state *st);

/* Writes the general registers of st (only those). 0 or -1 (errno). */
int gl_arch_set_gp(int tid, const gl_thread_state *st);

/* Writes every register of st back, then reads them again and compares.
 * 0, or -1 with err (what differs, or what failed). */
int gl_arch_restore(int tid, const gl_thread_state *st, char *err, size_t len);

void gl_arch_state_free(gl_thread_state *st);

/* Register values out of a saved state. */
uint64_t gl_arch_pc(const gl_thread_state *st);
uint64_t gl_arch_sp(const gl_thread_state *st);
void gl_arch_set_pc(gl_thread_state *st, uint64_t pc);
/* The system call the thread was in (x86-64: orig_rax), -1 if none. */
long gl_arch_syscall_nr(const gl_thread_state *st);
/* Its return value so far (-ERESTART* while it is interrupted). */
long gl_arch_syscall_ret(const gl_thread_state *st);
/* A call's return value, once it has returned. */
uint64_t gl_arch_retval(const gl_thread_state *st);

/* The registers in DWARF numbering for the unwinder: into out (room for
 * GL_ARCH_DWARF_REGS), count returned. */
#define GL_ARCH_DWARF_REGS 17
unsigned gl_arch_dwarf_regs(const gl_thread_state *st, uint64_t *out);

/*
 * Makes `call` (a copy of `base`) call fn(args[0..nargs-1]) with a return
 * address that faults (0), on a stack below `stack_top` (already clear of
 * the red zone), and with the system-call-restart and flag state set so the
 * kernel neither restarts a system call on the way in nor single-steps.
 * Writes the return address into the target's memory (pid). 0 or -1.
 */
int gl_arch_call_setup(int pid, const gl_thread_state *base, gl_thread_state *call, uint64_t fn,
		       const uint64_t *args, int nargs, uint64_t stack_top);

/* The thread stopped in the call's return (the fault at address 0). */
int gl_arch_call_returned(const gl_thread_state *st);

/* How far below sp the ABI lets the thread use the stack without moving
 * sp (x86-64: the 128-byte red zone). */
#define GL_ARCH_RED_ZONE 128

/* The system call instruction ends just before pc (pid's memory). */
int gl_arch_syscall_insn_before(int pid, uint64_t pc);

/* The breakpoint instruction, and where the pc is after it traps. */
extern const unsigned char gl_arch_break_insn[];
#define GL_ARCH_BREAK_LEN 1
/* The breakpoint's address from the pc of a thread that hit it. */
uint64_t gl_arch_break_addr(uint64_t pc);

/* Blocking system calls, as the idle search ranks them. */
typedef enum {
	GL_SYS_NOT_BLOCKING = 0,
	GL_SYS_RESTARTS,     /* the kernel restarts it after a ptrace stop: invisible to the program */
	GL_SYS_EINTR,        /* any ptrace stop makes it return EINTR (epoll_wait, sigtimedwait, semop) */
} gl_sys_kind;

gl_sys_kind gl_arch_syscall_kind(long nr, const unsigned long long args[6]);
int gl_arch_syscall_is_futex(long nr);
/* "accept4", or "syscall 123" into buf. */
const char *gl_arch_syscall_name(long nr, char *buf, size_t len);

#endif /* GRAPHLEAK_ARCH_H */
