/*
 * image.h - the ELF files mapped in the target, read through libelf.
 *
 * A file is opened as the target sees it: through /proc/PID/root (so a
 * process in another mount namespace, a container, works), and accepted
 * only if it is the very file mapped: same device and inode as in
 * /proc/PID/maps, or, failing that, /proc/PID/map_files/START-END, or the
 * same build-id note in the file and in the target's memory. A symbol's
 * address from the wrong file would make the injector call garbage, so an
 * image that cannot be proved the same is refused.
 */
#ifndef GRAPHLEAK_IMAGE_H
#define GRAPHLEAK_IMAGE_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

#include "procfs.h"

typedef struct gl_image {
	const char *path;   /* as mapped (points into the maps it was opened from) */
	uint64_t start;     /* the mapping of file offset 0 */
	uint64_t bias;      /* load bias: address = bias + st_value */
	int fd;
	Elf *elf;
} gl_image;

/*
 * Opens the file mapped at `first` (a mapping of it with file offset 0) in
 * process pid. 0, or -1 with a message in err.
 * The image keeps a pointer to first->path: keep the maps alive.
 */
int gl_image_open(int pid, const gl_maps *maps, const gl_map *first, gl_image *img, char *err, size_t errlen);
void gl_image_close(gl_image *img);

/* A file descriptor for the file of mapping `map` (checked as above), or -1.
 * Caller closes. */
int gl_image_open_fd(int pid, const gl_map *map);

/* The address of the defined function `name` (.dynsym, then .symtab), its
 * size in *size (may be NULL); 0 if there is none. */
uint64_t gl_image_symbol(gl_image *img, const char *name, uint64_t *size);

/* The same for a defined data object (STT_OBJECT): Py_Version. */
uint64_t gl_image_data(gl_image *img, const char *name, uint64_t *size);

/* The file's bytes at address addr (as loaded): 0 or -1. */
int gl_image_read(gl_image *img, uint64_t addr, void *buf, size_t len);

/* The mapping with file offset 0 of the first file whose base name starts
 * with `prefix` and is followed by nothing, ".so" or "-" (libc.so.6 for
 * "libc.so"), or NULL. */
const gl_map *gl_maps_find_lib(const gl_maps *m, const char *prefix);

#endif /* GRAPHLEAK_IMAGE_H */
