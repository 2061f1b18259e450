/*
 * arch_x86_64.c - the x86-64 side of the injector (arch.h).
 *
 * Registers: the general ones through NT_PRSTATUS (struct user_regs_struct),
 * the extended state (x87, SSE, AVX, AVX-512, PKRU, AMX tiles: whatever the
 * CPU and kernel have) through NT_X86_XSTATE at exactly the size the kernel
 * reports. That size differs between CPUs (2,696 bytes with AVX-512 and
 * PKRU, 11,008 with AMX), and the kernel accepts a write only at its own
 * size: a debugger that assumes one (gdb 13: 2,688) fails to restore it
 * after it has already rewritten the general registers, and the thread
 * resumes with a broken system-call restart. Here the size is the kernel's,
 * and the state is written back once, unchanged, before anything else is
 * touched, so that a kernel that refuses is a clean refusal.
 *
 * System call restart: a thread stopped while blocked in a system call has
 * orig_rax = the call's number and rax = -ERESTARTSYS (or NOINTR, NOHAND,
 * RESTARTBLOCK); when it resumes with those, the kernel moves rip back over
 * the `syscall` instruction and runs the call again (or restart_syscall).
 * During our calls orig_rax is -1, so the kernel does not "restart" into
 * them; afterwards the saved values come back and the restart happens as if
 * the thread had never been stopped.
 */
#if defined(__x86_64__)
#define _GNU_SOURCE
#include "arch.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "mem.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

#define XSTATE_MAX (256 * 1024) /* far above any CPU's (AMX: 11,008 bytes) */

#define EFLAGS_TF (1u << 8)
#define EFLAGS_DF (1u << 10)
#define EFLAGS_AC (1u << 18)

const unsigned char gl_arch_break_insn[GL_ARCH_BREAK_LEN] = {0xcc}; /* int3 */

static struct user_regs_struct *R(gl_thread_state *st)
{
	return (struct user_regs_struct *)(void *)st->gp;
}

static const struct user_regs_struct *CR(const gl_thread_state *st)
{
	return (const struct user_regs_struct *)(const void *)st->gp;
}

static int getregset(int tid, int type, void *buf, size_t *len)
{
	struct iovec iov = {buf, *len};
	if (ptrace(PTRACE_GETREGSET, tid, (void *)(long)type, &iov) < 0)
		return -1;
	*len = iov.iov_len;
	return 0;
}

static int setregset(int tid, int type, const void *buf, size_t len)
{
	struct iovec iov = {(void *)buf, len};
	return ptrace(PTRACE_SETREGSET, tid, (void *)(long)type, &iov) < 0 ? -1 : 0;
}

int gl_arch_save(int tid, gl_thread_state *st, char *err, size_t len)
{
	_Static_assert(sizeof(struct user_regs_struct) <= sizeof st->gp, "gp buffer");
	memset(st, 0, sizeof *st);
	size_t n = sizeof(struct user_regs_struct);
	if (getregset(tid, NT_PRSTATUS, st->gp, &n) < 0 || n != sizeof(struct user_regs_struct)) {
		snprintf(err, len, "cannot read the registers of thread %d: %s", tid, strerror(errno));
		return -1;
	}
	st->gp_len = n;
	unsigned char *buf = malloc(XSTATE_MAX);
	if (!buf) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	size_t x = XSTATE_MAX;
	if (getregset(tid, NT_X86_XSTATE, buf, &x) < 0) {
		int e = errno;
		free(buf);
		snprintf(err, len, "cannot read the extended register state of thread %d: %s", tid, strerror(e));
		return -1;
	}
	unsigned char *fit = realloc(buf, x ? x : 1);
	st->ext = fit ? fit : buf;
	st->ext_len = x;
	return 0;
}

int gl_arch_rewrite_ext(int tid, const gl_thread_state *st)
{
	return setregset(tid, NT_X86_XSTATE, st->ext, st->ext_len);
}

int gl_arch_set_gp(int tid, const gl_thread_state *st)
{
	return setregset(tid, NT_PRSTATUS, st->gp, st->gp_len);
}

static const char *const gp_names[] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi",
	"rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs"};

int gl_arch_restore(int tid, const gl_thread_state *st, char *err, size_t len)
{
	if (setregset(tid, NT_PRSTATUS, st->gp, st->gp_len) < 0) {
		snprintf(err, len, "restoring the registers of thread %d: %s", tid, strerror(errno));
		return -1;
	}
	if (setregset(tid, NT_X86_XSTATE, st->ext, st->ext_len) < 0) {
		snprintf(err, len, "restoring the extended state (%zu bytes) of thread %d: %s", st->ext_len, tid,
			 strerror(errno));
		return -1;
	}
	gl_thread_state now;
	memset(&now, 0, sizeof now);
	if (gl_arch_save(tid, &now, err, len) < 0)
		return -1;
	int rc = 0;
	if (now.gp_len != st->gp_len || memcmp(now.gp, st->gp, st->gp_len) != 0) {
		const uint64_t *a = (const uint64_t *)(const void *)st->gp, *b = (const uint64_t *)(const void *)now.gp;
		size_t k = 0;
		while (k < st->gp_len / 8 && a[k] == b[k])
			k++;
		snprintf(err, len, "register %s of thread %d reads %#llx after the restore, not %#llx",
			 k < sizeof gp_names / sizeof gp_names[0] ? gp_names[k] : "?", tid,
			 (unsigned long long)(k < st->gp_len / 8 ? b[k] : 0),
			 (unsigned long long)(k < st->gp_len / 8 ? a[k] : 0));
		rc = -1;
	} else if (now.ext_len != st->ext_len || memcmp(now.ext, st->ext, st->ext_len) != 0) {
		size_t k = 0;
		while (k < st->ext_len && k < now.ext_len && now.ext[k] == st->ext[k])
			k++;
		snprintf(err, len, "the extended state of thread %d differs after the restore (byte %zu of %zu)", tid, k,
			 st->ext_len);
		rc = -1;
	}
	gl_arch_state_free(&now);
	return rc;
}

void gl_arch_state_free(gl_thread_state *st)
{
	free(st->ext);
	st->ext = NULL;
	st->ext_len = 0;
}

uint64_t gl_arch_pc(const gl_thread_state *st)
{
	return CR(st)->rip;
}

uint64_t gl_arch_sp(const gl_thread_state *st)
{
	return CR(st)->rsp;
}

void gl_arch_set_pc(gl_thread_state *st, uint64_t pc)
{
	R(st)->rip = pc;
}

long gl_arch_syscall_nr(const gl_thread_state *st)
{
	return (long)CR(st)->orig_rax;
}

long gl_arch_syscall_ret(const gl_thread_state *st)
{
	return (long)CR(st)->rax;
}

uint64_t gl_arch_retval(const gl_thread_state *st)
{
	return CR(st)->rax;
}

unsigned gl_arch_dwarf_regs(const gl_thread_state *st, uint64_t *o)
{
	const struct user_regs_struct *r = CR(st);
	/* DWARF numbering of the x86-64 psABI: rax rdx rcx rbx rsi rdi rbp rsp r8..r15, return address */
	o[0] = r->rax, o[1] = r->rdx, o[2] = r->rcx, o[3] = r->rbx, o[4] = r->rsi, o[5] = r->rdi;
	o[6] = r->rbp, o[7] = r->rsp, o[8] = r->r8, o[9] = r->r9, o[10] = r->r10, o[11] = r->r11;
	o[12] = r->r12, o[13] = r->r13, o[14] = r->r14, o[15] = r->r15, o[16] = r->rip;
	return GL_ARCH_DWARF_REGS;
}

int gl_arch_call_setup(int pid, const gl_thread_state *base, gl_thread_state *call, uint64_t fn,
		       const uint64_t *args, int nargs, uint64_t stack_top)
{
	if (nargs > 6)
		return -1;
	memcpy(call->gp, base->gp, sizeof call->gp);
	call->gp_len = base->gp_len;
	struct user_regs_struct *r = R(call);
	uint64_t sp = (stack_top & ~(uint64_t)15) - 8; /* at the entry: sp + 8 is 16-byte aligned */
	const uint64_t ret = 0;                        /* returning faults at 0: the tracer sees SIGSEGV there */
	if (gl_mem_write(pid, sp, &ret, sizeof ret) < 0)
		return -1;
	unsigned long long *argr[6] = {&r->rdi, &r->rsi, &r->rdx, &r->rcx, &r->r8, &r->r9};
	for (int i = 0; i < nargs; i++)
		*argr[i] = args[i];
	r->rsp = sp;
	r->rip = fn;
	r->rax = 0;               /* no vector registers used by a variadic call */
	r->orig_rax = (unsigned long long)-1; /* not in a system call: no restart on the way in */
	r->eflags &= ~(unsigned long long)(EFLAGS_TF | EFLAGS_DF | EFLAGS_AC);
	return 0;
}

int gl_arch_call_returned(const gl_thread_state *st)
{
	return CR(st)->rip == 0;
}

int gl_arch_syscall_insn_before(int pid, uint64_t pc)
{
	unsigned char b[2];
	return pc >= 2 && gl_mem_read(pid, pc - 2, b, 2) == 0 && b[0] == 0x0f && b[1] == 0x05;
}

uint64_t gl_arch_break_addr(uint64_t pc)
{
	return pc - GL_ARCH_BREAK_LEN; /* int3 traps after itself */
}

/* ---- system calls ------------------------------------------------------------ */

static const struct {
	int nr;
	const char *name;
	gl_sys_kind kind;
} syscalls[] = {
	{0, "read", GL_SYS_RESTARTS},           {1, "write", GL_SYS_RESTARTS},
	{7, "poll", GL_SYS_RESTARTS},           {17, "pread64", GL_SYS_RESTARTS},
	{18, "pwrite64", GL_SYS_RESTARTS},      {19, "readv", GL_SYS_RESTARTS},
	{20, "writev", GL_SYS_RESTARTS},        {23, "select", GL_SYS_RESTARTS},
	{34, "pause", GL_SYS_RESTARTS},         {35, "nanosleep", GL_SYS_RESTARTS},
	{42, "connect", GL_SYS_RESTARTS},       {43, "accept", GL_SYS_RESTARTS},
	{44, "sendto", GL_SYS_RESTARTS},        {45, "recvfrom", GL_SYS_RESTARTS},
	{46, "sendmsg", GL_SYS_RESTARTS},       {47, "recvmsg", GL_SYS_RESTARTS},
	{61, "wait4", GL_SYS_RESTARTS},         {65, "semop", GL_SYS_EINTR},
	{69, "msgsnd", GL_SYS_RESTARTS},        {70, "msgrcv", GL_SYS_RESTARTS},
	{72, "fcntl", GL_SYS_RESTARTS},         {73, "flock", GL_SYS_RESTARTS},
	{128, "rt_sigtimedwait", GL_SYS_EINTR}, {130, "rt_sigsuspend", GL_SYS_RESTARTS},
	{202, "futex", GL_SYS_RESTARTS},        {220, "semtimedop", GL_SYS_EINTR},
	{230, "clock_nanosleep", GL_SYS_RESTARTS}, {232, "epoll_wait", GL_SYS_EINTR},
	{243, "mq_timedreceive", GL_SYS_RESTARTS}, {247, "waitid", GL_SYS_RESTARTS},
	{270, "pselect6", GL_SYS_RESTARTS},     {271, "ppoll", GL_SYS_RESTARTS},
	{281, "epoll_pwait", GL_SYS_EINTR},     {288, "accept4", GL_SYS_RESTARTS},
	{295, "preadv", GL_SYS_RESTARTS},       {296, "pwritev", GL_SYS_RESTARTS},
	{299, "recvmmsg", GL_SYS_RESTARTS},     {307, "sendmmsg", GL_SYS_RESTARTS},
	{327, "preadv2", GL_SYS_RESTARTS},      {441, "epoll_pwait2", GL_SYS_EINTR},
};

#define SYS_FUTEX 202
#define FUTEX_CMD(op) ((op) & 127)

gl_sys_kind gl_arch_syscall_kind(long nr, const unsigned long long args[6])
{
	for (size_t i = 0; i < sizeof syscalls / sizeof syscalls[0]; i++)
		if (syscalls[i].nr == nr) {
			if (nr == SYS_FUTEX) {
				/* waits only: FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI */
				unsigned long long c = FUTEX_CMD(args[1]);
				if (c != 0 && c != 9 && c != 11)
					return GL_SYS_NOT_BLOCKING;
			}
			if (nr == 72 && args[1] != 7 && args[1] != 38) /* fcntl: F_SETLKW, F_OFD_SETLKW */
				return GL_SYS_NOT_BLOCKING;
			return syscalls[i].kind;
		}
	return GL_SYS_NOT_BLOCKING;
}

int gl_arch_syscall_is_futex(long nr)
{
	return nr == SYS_FUTEX;
}

const char *gl_arch_syscall_name(long nr, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof syscalls / sizeof syscalls[0]; i++)
		if (syscalls[i].nr == nr) {
			snprintf(buf, len, "%s", syscalls[i].name);
			return buf;
		}
	snprintf(buf, len, "system call %ld", nr);
	return buf;
}

#endif /* __x86_64__ */
