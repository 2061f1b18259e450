/*
 * regs_target.c - a process whose every register must survive an injection
 * (tests/attach/test_inject.py, exactness).
 *
 * It loads sentinel values into every vector register the CPU has (zmm0-31
 * and k0-7 with AVX-512, else ymm0-15 with AVX, else xmm0-15), into the
 * callee-saved general registers r12-r15, into MXCSR and the x87 control
 * word (a rounding mode that is not the default), and, where the CPU has
 * AMX, into the eight tile registers (after asking the kernel for the
 * permission, ARCH_REQ_XCOMP_PERM). Then, in the same asm statement, it
 * calls read(0, buf, 1): blocked in libc's read(), it is an idle thread for
 * the injector. When the byte comes it stores every register back and
 * compares: "ok N" or "BAD N what". New values each round. EOF ends it.
 *
 * read() itself leaves these registers alone (the control round, before any
 * injection, shows it), so any difference is the injector's.
 *
 * Build: -mno-red-zone -fno-omit-frame-pointer (the asm calls a function and
 * moves rsp; the frame pointer keeps the unwinder's view of this frame
 * right).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

enum { LVL_SSE = 0, LVL_AVX = 1, LVL_AVX512 = 2 };

/* [0, 2048): vector registers (64 bytes each), [2048, 2112): k0-k7,
 * [2112]: mxcsr, [2116]: x87 control word, [2120, 2152): r12-r15 */
#define OFF_K 2048
#define OFF_MXCSR 2112
#define OFF_FCW 2116
#define OFF_GP 2120
#define BUF 2176

__attribute__((used)) static uint8_t g_in[BUF] __attribute__((aligned(64)));
__attribute__((used)) static uint8_t g_out[BUF] __attribute__((aligned(64)));
__attribute__((used)) static long g_ret;
__attribute__((used)) static char g_byte;
__attribute__((used)) static const uint32_t g_mxcsr_default = 0x1f80;
__attribute__((used)) static const uint16_t g_fcw_default = 0x37f;
__attribute__((used)) static uint8_t g_tiles_in[8 * 1024] __attribute__((aligned(64)));
__attribute__((used)) static uint8_t g_tiles_out[8 * 1024] __attribute__((aligned(64)));
__attribute__((used)) static uint8_t g_tilecfg[64] __attribute__((aligned(64)));

static uint64_t xgetbv0(void)
{
	uint32_t a, d;
	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return ((uint64_t)d << 32) | a;
}

static int level(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
		return LVL_SSE;
	uint64_t xcr0 = xgetbv0();
	if ((xcr0 & 6) != 6)
		return LVL_SSE;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512F) && (xcr0 & 0xe0) == 0xe0)
		return LVL_AVX512;
	return LVL_AVX;
}

static int amx_enable(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24))) /* AMX-TILE */
		return 0;
	if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0)
		return -1;
	memset(g_tilecfg, 0, sizeof g_tilecfg);
	g_tilecfg[0] = 1; /* palette 1 */
	for (int t = 0; t < 8; t++) {
		g_tilecfg[16 + 2 * t] = 64; /* bytes per row */
		g_tilecfg[48 + t] = 16;     /* rows */
	}
	return 1;
}

#define LOAD16(op)                                                                                         \
	op " 0(%%rax), %%zmm0\n\t" op " 64(%%rax), %%zmm1\n\t" op " 128(%%rax), %%zmm2\n\t" op                \
	   " 192(%%rax), %%zmm3\n\t" op " 256(%%rax), %%zmm4\n\t" op " 320(%%rax), %%zmm5\n\t" op            \
	   " 384(%%rax), %%zmm6\n\t" op " 448(%%rax), %%zmm7\n\t" op " 512(%%rax), %%zmm8\n\t" op            \
	   " 576(%%rax), %%zmm9\n\t" op " 640(%%rax), %%zmm10\n\t" op " 704(%%rax), %%zmm11\n\t" op          \
	   " 768(%%rax), %%zmm12\n\t" op " 832(%%rax), %%zmm13\n\t" op " 896(%%rax), %%zmm14\n\t" op         \
	   " 960(%%rax), %%zmm15\n\t"
#define LOAD_HI(op)                                                                                        \
	op " 1024(%%rax), %%zmm16\n\t" op " 1088(%%rax), %%zmm17\n\t" op " 1152(%%rax), %%zmm18\n\t" op       \
	   " 1216(%%rax), %%zmm19\n\t" op " 1280(%%rax), %%zmm20\n\t" op " 1344(%%rax), %%zmm21\n\t" op      \
	   " 1408(%%rax), %%zmm22\n\t" op " 1472(%%rax), %%zmm23\n\t" op " 1536(%%rax), %%zmm24\n\t" op      \
	   " 1600(%%rax), %%zmm25\n\t" op " 1664(%%rax), %%zmm26\n\t" op " 1728(%%rax), %%zmm27\n\t" op      \
	   " 1792(%%rax), %%zmm28\n\t" op " 1856(%%rax), %%zmm29\n\t" op " 1920(%%rax), %%zmm30\n\t" op      \
	   " 1984(%%rax), %%zmm31\n\t"
#define STORE16(op)                                                                                        \
	op " %%zmm0, 0(%%rcx)\n\t" op " %%zmm1, 64(%%rcx)\n\t" op " %%zmm2, 128(%%rcx)\n\t" op                \
	   " %%zmm3, 192(%%rcx)\n\t" op " %%zmm4, 256(%%rcx)\n\t" op " %%zmm5, 320(%%rcx)\n\t" op            \
	   " %%zmm6, 384(%%rcx)\n\t" op " %%zmm7, 448(%%rcx)\n\t" op " %%zmm8, 512(%%rcx)\n\t" op            \
	   " %%zmm9, 576(%%rcx)\n\t" op " %%zmm10, 640(%%rcx)\n\t" op " %%zmm11, 704(%%rcx)\n\t" op          \
	   " %%zmm12, 768(%%rcx)\n\t" op " %%zmm13, 832(%%rcx)\n\t" op " %%zmm14, 896(%%rcx)\n\t" op         \
	   " %%zmm15, 960(%%rcx)\n\t"
#define STORE_HI(op)                                                                                       \
	op " %%zmm16, 1024(%%rcx)\n\t" op " %%zmm17, 1088(%%rcx)\n\t" op " %%zmm18, 1152(%%rcx)\n\t" op       \
	   " %%zmm19, 1216(%%rcx)\n\t" op " %%zmm20, 1280(%%rcx)\n\t" op " %%zmm21, 1344(%%rcx)\n\t" op      \
	   " %%zmm22, 1408(%%rcx)\n\t" op " %%zmm23, 1472(%%rcx)\n\t" op " %%zmm24, 1536(%%rcx)\n\t" op      \
	   " %%zmm25, 1600(%%rcx)\n\t" op " %%zmm26, 1664(%%rcx)\n\t" op " %%zmm27, 1728(%%rcx)\n\t" op      \
	   " %%zmm28, 1792(%%rcx)\n\t" op " %%zmm29, 1856(%%rcx)\n\t" op " %%zmm30, 1920(%%rcx)\n\t" op      \
	   " %%zmm31, 1984(%%rcx)\n\t"

/* The call to read(0, &g_byte, 1), with rsp aligned, through the PLT. */
#define CALL_READ                                                                                          \
	"xor %%edi, %%edi\n\t"                                                                              \
	"lea g_byte(%%rip), %%rsi\n\t"                                                                      \
	"mov $1, %%edx\n\t"                                                                                 \
	"mov %%rsp, %%rbx\n\t"                                                                              \
	"and $-16, %%rsp\n\t"                                                                               \
	"call read@PLT\n\t"                                                                                 \
	"mov %%rbx, %%rsp\n\t"                                                                              \
	"mov %%rax, g_ret(%%rip)\n\t"

#define GP_LOAD                                                                                            \
	"ldmxcsr 2112(%%rax)\n\t"                                                                           \
	"fldcw 2116(%%rax)\n\t"                                                                             \
	"mov 2120(%%rax), %%r12\n\t"                                                                        \
	"mov 2128(%%rax), %%r13\n\t"                                                                        \
	"mov 2136(%%rax), %%r14\n\t"                                                                        \
	"mov 2144(%%rax), %%r15\n\t"
#define GP_STORE                                                                                           \
	"stmxcsr 2112(%%rcx)\n\t"                                                                           \
	"fnstcw 2116(%%rcx)\n\t"                                                                            \
	"mov %%r12, 2120(%%rcx)\n\t"                                                                        \
	"mov %%r13, 2128(%%rcx)\n\t"                                                                        \
	"mov %%r14, 2136(%%rcx)\n\t"                                                                        \
	"mov %%r15, 2144(%%rcx)\n\t"                                                                        \
	"ldmxcsr g_mxcsr_default(%%rip)\n\t" /* back to the defaults */                                     \
	"fldcw g_fcw_default(%%rip)\n\t"

#define CLOBBERS                                                                                           \
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",     \
	    "memory", "cc"

__attribute__((target("avx512f"), noinline)) static void round_avx512(void)
{
	__asm__ volatile("lea g_in(%%rip), %%rax\n\t" LOAD16("vmovdqu64") LOAD_HI("vmovdqu64")
			 "kmovq 2048(%%rax), %%k0\n\tkmovq 2056(%%rax), %%k1\n\tkmovq 2064(%%rax), %%k2\n\t"
			 "kmovq 2072(%%rax), %%k3\n\tkmovq 2080(%%rax), %%k4\n\tkmovq 2088(%%rax), %%k5\n\t"
			 "kmovq 2096(%%rax), %%k6\n\tkmovq 2104(%%rax), %%k7\n\t" GP_LOAD CALL_READ
			 "lea g_out(%%rip), %%rcx\n\t" STORE16("vmovdqu64") STORE_HI("vmovdqu64")
			 "kmovq %%k0, 2048(%%rcx)\n\tkmovq %%k1, 2056(%%rcx)\n\tkmovq %%k2, 2064(%%rcx)\n\t"
			 "kmovq %%k3, 2072(%%rcx)\n\tkmovq %%k4, 2080(%%rcx)\n\tkmovq %%k5, 2088(%%rcx)\n\t"
			 "kmovq %%k6, 2096(%%rcx)\n\tkmovq %%k7, 2104(%%rcx)\n\t" GP_STORE "vzeroupper\n\t"
			 :
			 :
			 : CLOBBERS, "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
			   "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19",
			   "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29",
			   "xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7");
}

#define YLOAD(i) "vmovdqu " #i "*64(%%rax), %%ymm" #i "\n\t"
#define YSTORE(i) "vmovdqu %%ymm" #i ", " #i "*64(%%rcx)\n\t"
#define XLOAD(i) "movdqu " #i "*64(%%rax), %%xmm" #i "\n\t"
#define XSTORE(i) "movdqu %%xmm" #i ", " #i "*64(%%rcx)\n\t"
#define ALL16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)
#define XCLOBBERS                                                                                          \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",    \
	    "xmm12", "xmm13", "xmm14", "xmm15"

__attribute__((target("avx"), noinline)) static void round_avx(void)
{
	__asm__ volatile("lea g_in(%%rip), %%rax\n\t" ALL16(YLOAD) GP_LOAD CALL_READ "lea g_out(%%rip), %%rcx\n\t" ALL16(
				 YSTORE) GP_STORE "vzeroupper\n\t"
			 :
			 :
			 : CLOBBERS, XCLOBBERS);
}

__attribute__((noinline)) static void round_sse(void)
{
	__asm__ volatile("lea g_in(%%rip), %%rax\n\t" ALL16(XLOAD) GP_LOAD CALL_READ "lea g_out(%%rip), %%rcx\n\t" ALL16(
				 XSTORE) GP_STORE
			 :
			 :
			 : CLOBBERS, XCLOBBERS);
}

/* Tiles: the compiler never uses them, so they may be loaded and stored in
 * asm statements of their own around the round. */
#define TLOAD(i) "tileloadd (%%rax,%%rdx,1), %%tmm" #i "\n\tadd $1024, %%rax\n\t"
#define TSTORE(i) "tilestored %%tmm" #i ", (%%rax,%%rdx,1)\n\tadd $1024, %%rax\n\t"

static void tiles_load(void)
{
	__asm__ volatile("lea g_tilecfg(%%rip), %%rax\n\tldtilecfg (%%rax)\n\t"
			 "lea g_tiles_in(%%rip), %%rax\n\tmov $64, %%rdx\n\t" TLOAD(0) TLOAD(1) TLOAD(2) TLOAD(3)
				 TLOAD(4) TLOAD(5) TLOAD(6) TLOAD(7)
			 :
			 :
			 : "rax", "rdx", "memory");
}

static void tiles_store(void)
{
	__asm__ volatile("lea g_tiles_out(%%rip), %%rax\n\tmov $64, %%rdx\n\t" TSTORE(0) TSTORE(1) TSTORE(2)
				 TSTORE(3) TSTORE(4) TSTORE(5) TSTORE(6) TSTORE(7) "tilerelease\n\t"
			 :
			 :
			 : "rax", "rdx", "memory");
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(int lvl, int amx)
{
	for (size_t i = 0; i < OFF_K; i += 8) {
		uint64_t v = next();
		memcpy(g_in + i, &v, 8);
	}
	for (size_t i = OFF_K; i < OFF_MXCSR; i += 8) {
		uint64_t v = next();
		memcpy(g_in + i, &v, 8);
	}
	/* only the bits that exist: each register's width, 64-bit masks */
	if (lvl < LVL_AVX512) {
		memset(g_in + 16 * 64, 0, OFF_MXCSR - 16 * 64); /* no zmm16-31, no k */
		for (int r = 0; r < 16; r++)
			memset(g_in + r * 64 + (lvl == LVL_AVX ? 32 : 16), 0, lvl == LVL_AVX ? 32 : 48);
	}
	uint32_t mxcsr = 0x1f80 | (1u << 13) | (unsigned)(next() & 1) << 14; /* round down or toward zero */
	uint16_t fcw = 0x37f | (1u << 10);                                    /* round down */
	memcpy(g_in + OFF_MXCSR, &mxcsr, 4);
	memcpy(g_in + OFF_FCW, &fcw, 2);
	for (int r = 0; r < 4; r++) {
		uint64_t v = next();
		memcpy(g_in + OFF_GP + 8 * r, &v, 8);
	}
	if (amx)
		for (size_t i = 0; i < sizeof g_tiles_in; i += 8) {
			uint64_t v = next();
			memcpy(g_tiles_in + i, &v, 8);
		}
	memset(g_out, 0, sizeof g_out);
	memset(g_tiles_out, 0, sizeof g_tiles_out);
}

static const char *compare(int lvl, int amx, char *why, size_t len)
{
	int nvec = lvl == LVL_AVX512 ? 32 : 16, width = lvl == LVL_AVX512 ? 64 : lvl == LVL_AVX ? 32 : 16;
	const char *vname = lvl == LVL_AVX512 ? "zmm" : lvl == LVL_AVX ? "ymm" : "xmm";
	for (int r = 0; r < nvec; r++)
		if (memcmp(g_in + r * 64, g_out + r * 64, (size_t)width)) {
			snprintf(why, len, "%s%d", vname, r);
			return why;
		}
	if (lvl == LVL_AVX512)
		for (int k = 0; k < 8; k++)
			if (memcmp(g_in + OFF_K + 8 * k, g_out + OFF_K + 8 * k, 8)) {
				snprintf(why, len, "k%d", k);
				return why;
			}
	if (memcmp(g_in + OFF_MXCSR, g_out + OFF_MXCSR, 4))
		return "mxcsr";
	if (memcmp(g_in + OFF_FCW, g_out + OFF_FCW, 2))
		return "x87 control word";
	for (int r = 0; r < 4; r++)
		if (memcmp(g_in + OFF_GP + 8 * r, g_out + OFF_GP + 8 * r, 8)) {
			snprintf(why, len, "r%d", 12 + r);
			return why;
		}
	if (amx)
		for (int t = 0; t < 8; t++)
			if (memcmp(g_tiles_in + 1024 * t, g_tiles_out + 1024 * t, 1024)) {
				snprintf(why, len, "tmm%d", t);
				return why;
			}
	return NULL;
}

int main(void)
{
	int lvl = level();
	int amx = amx_enable();
	if (amx < 0) {
		printf("error the CPU has AMX but the kernel refused ARCH_REQ_XCOMP_PERM\n");
		return 1;
	}
	static const char *const names[] = {"sse", "avx", "avx512"};
	printf("ready %d %s amx=%d\n", (int)getpid(), names[lvl], amx);
	fflush(stdout);
	for (int round = 0;; round++) {
		fill(lvl, amx);
		if (amx)
			tiles_load();
		if (lvl == LVL_AVX512)
			round_avx512();
		else if (lvl == LVL_AVX)
			round_avx();
		else
			round_sse();
		if (amx)
			tiles_store();
		if (g_ret <= 0) {
			if (g_ret < 0)
				printf("error read returned %ld\n", g_ret);
			fflush(stdout);
			return g_ret < 0;
		}
		char why[64];
		const char *bad = compare(lvl, amx, why, sizeof why);
		if (bad)
			printf("BAD %d %s\n", round, bad);
		else
			printf("ok %d\n", round);
		fflush(stdout);
	}
}
