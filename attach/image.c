/*
 * image.c - the target's ELF files (image.h).
 */
#define _GNU_SOURCE
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mem.h"

static int same_file(int fd, const gl_map *map)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_ino == map->inode &&
	       major(st.st_dev) == map->dev_major && minor(st.st_dev) == map->dev_minor;
}

/* The file's PT_NOTE segments equal the target's memory there (the GNU
 * build-id is one of them): the same file, even if its inode was not. */
static int same_notes(int pid, int fd, const gl_map *map)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return 0;
	size_t n = 0;
	int ok = 0, compared = 0;
	uint64_t bias = 0;
	if (elf_getphdrnum(elf, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_offset == 0) {
				bias = map->start - (ph.p_vaddr & ~(uint64_t)4095);
				break;
			}
		}
		ok = 1;
		for (size_t i = 0; i < n && ok; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE || ph.p_filesz == 0 ||
			    ph.p_filesz > 4096)
				continue;
			char a[4096], b[4096];
			if (pread(fd, a, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz ||
			    gl_mem_read(pid, bias + ph.p_vaddr, b, ph.p_filesz) < 0 || memcmp(a, b, ph.p_filesz) != 0)
				ok = 0;
			else
				compared = 1;
		}
	}
	elf_end(elf);
	return ok && compared;
}

int gl_image_open_fd(int pid, const gl_map *map)
{
	if (!map->path || map->path[0] != '/')
		return -1;
	char p[PATH_MAX + 64];
	int fd = -1;
	if ((size_t)snprintf(p, sizeof p, "/proc/%d/root%s", pid, map->path) < sizeof p) {
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && same_file(fd, map))
			return fd;
	}
	/* replaced on disk, or another file system view: the mapping itself
	 * (needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE) */
	snprintf(p, sizeof p, "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)map->start,
		 (unsigned long long)map->end);
	int mf = open(p, O_RDONLY | O_CLOEXEC);
	if (mf >= 0) {
		if (fd >= 0)
			close(fd);
		return mf;
	}
	if (fd >= 0 && same_notes(pid, fd, map))
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

int gl_image_open(int pid, const gl_maps *maps, const gl_map *first, gl_image *img, char *err, size_t errlen)
{
	(void)maps;
	memset(img, 0, sizeof *img);
	img->fd = -1;
	img->path = first->path;
	img->start = first->start;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -1;
	}
	img->fd = gl_image_open_fd(pid, first);
	if (img->fd < 0) {
		snprintf(err, errlen,
			 "cannot open %s as process %d maps it (it was replaced on disk, or is not reachable "
			 "through /proc/%d/root)",
			 first->path ? first->path : "?", pid, pid);
		return -1;
	}
	img->elf = elf_begin(img->fd, ELF_C_READ_MMAP, NULL);
	if (!img->elf || elf_kind(img->elf) != ELF_K_ELF) {
		snprintf(err, errlen, "%s is not an ELF file: %s", first->path, elf_errmsg(-1));
		gl_image_close(img);
		return -1;
	}
	size_t n = 0;
	int found = 0;
	if (elf_getphdrnum(img->elf, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(img->elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_offset & ~(uint64_t)4095) == first->offset) {
				img->bias = first->start - (ph.p_vaddr & ~(uint64_t)4095);
				found = 1;
				break;
			}
		}
	}
	if (!found) {
		snprintf(err, errlen, "%s: no loadable segment at file offset 0", first->path);
		gl_image_close(img);
		return -1;
	}
	return 0;
}

void gl_image_close(gl_image *img)
{
	if (img->elf)
		elf_end(img->elf);
	if (img->fd >= 0)
		close(img->fd);
	img->elf = NULL;
	img->fd = -1;
}

static uint64_t find_in(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *name, uint64_t *size, int data)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || sh->sh_entsize == 0)
		return 0;
	size_t n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			break;
		int type = GELF_ST_TYPE(s.st_info);
		if (s.st_shndx == SHN_UNDEF || s.st_value == 0 ||
		    (data ? type != STT_OBJECT : type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		const char *sn = elf_strptr(elf, sh->sh_link, s.st_name);
		if (sn && strcmp(sn, name) == 0) {
			if (type == STT_GNU_IFUNC)
				return 0; /* a resolver, not the function: not ours to call */
			if (size)
				*size = s.st_size;
			return s.st_value;
		}
	}
	return 0;
}

static uint64_t lookup(gl_image *img, const char *name, uint64_t *size, int data)
{
	if (!img->elf)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(img->elf, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != (pass == 0 ? SHT_DYNSYM : SHT_SYMTAB))
				continue;
			uint64_t v = find_in(img->elf, scn, &sh, name, size, data);
			if (v)
				return img->bias + v;
		}
	}
	return 0;
}

uint64_t gl_image_symbol(gl_image *img, const char *name, uint64_t *size)
{
	return lookup(img, name, size, 0);
}

uint64_t gl_image_data(gl_image *img, const char *name, uint64_t *size)
{
	return lookup(img, name, size, 1);
}

int gl_image_read(gl_image *img, uint64_t addr, void *buf, size_t len)
{
	if (!img->elf || addr < img->bias)
		return -1;
	uint64_t v = addr - img->bias;
	size_t n = 0;
	if (elf_getphdrnum(img->elf, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(img->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (v >= ph.p_vaddr && v + len <= ph.p_vaddr + ph.p_filesz) {
			off_t off = (off_t)(v - ph.p_vaddr + ph.p_offset);
			return pread(img->fd, buf, len, off) == (ssize_t)len ? 0 : -1;
		}
	}
	return -1;
}

const gl_map *gl_maps_find_lib(const gl_maps *m, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < m->n; i++) {
		const gl_map *g = &m->v[i];
		if (!g->path || g->path[0] != '/' || g->offset != 0)
			continue;
		const char *b = strrchr(g->path, '/') + 1;
		if (strncmp(b, prefix, pl) == 0 && (b[pl] == 0 || b[pl] == '.' || b[pl] == '-'))
			return g;
	}
	return NULL;
}
