"""container.py [--userns OUTER_UID] [--tmp tmpfs|noexec|none] [--readonly] -- CMD ...

Runs CMD as a container would, with what the kernel offers (run as root):
new mount and pid namespaces (CMD is pid 1 of its own, /proc mounted
anew), a private tmpfs on /tmp (the host's /tmp is not visible inside), and
with --userns a user namespace that maps the container's uids 0..65535 to
the host's OUTER_UID.. (CMD runs as the container's root, the host's
OUTER_UID). --tmp noexec mounts /tmp noexec; --tmp none leaves the host's
/tmp. --readonly makes the root and every other mount inside read-only
(nowhere to write). Prints "hostpid N" (CMD's pid as the host sees it) on
stdout, then CMD's own output follows; exits with CMD's status.

Standard library only (ctypes for unshare and mount), Python 3.8+.
"""
import ctypes
import os
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def die(what):
    e = ctypes.get_errno()
    sys.stderr.write("container.py: %s: %s\n" % (what, os.strerror(e)))
    os._exit(127)


def mount(src, dst, fstype, flags, data=None):
    if libc.mount(src and src.encode(), dst.encode(), fstype and fstype.encode(), flags,
                  data and data.encode()) != 0:
        die("mount %s on %s" % (fstype or src, dst))


def mounts():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f]


def main():
    args = sys.argv[1:]
    userns, tmp, readonly = None, "tmpfs", False
    while args and args[0] != "--":
        a = args.pop(0)
        if a == "--userns":
            userns = int(args.pop(0))
        elif a == "--tmp":
            tmp = args.pop(0)
        elif a == "--readonly":
            readonly = True
        else:
            sys.exit(__doc__)
    if not args or len(args) < 2:
        sys.exit(__doc__)
    cmd = args[1:]
    r, w = os.pipe()      # child -> parent: the user namespace exists
    r2, w2 = os.pipe()    # parent -> child: its maps are written
    child = os.fork()
    if child == 0:
        os.close(r)
        os.close(w2)
        if libc.unshare(CLONE_NEWNS | (CLONE_NEWUSER if userns is not None else 0)) != 0:
            die("unshare")
        os.write(w, b"x")
        os.close(w)
        if os.read(r2, 1) != b"x":
            os._exit(127)
        if userns is not None:
            os.setgid(0)
            os.setuid(0)
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        if libc.unshare(CLONE_NEWPID) != 0:
            die("unshare pid")
        inner = os.fork()
        if inner == 0:
            # pid 1 of its namespace: its own /proc, /tmp, and the rest
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            if tmp in ("tmpfs", "noexec"):
                mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | (MS_NOEXEC if tmp == "noexec" else 0),
                      "mode=1777")
            if readonly:
                mount("/", "/", None, MS_BIND | MS_REC)
                for m in sorted(set(mounts()), key=len, reverse=True):
                    # each mount read-only (a user namespace may only add flags)
                    libc.mount(None, m.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
            os.execvp(cmd[0], cmd)
        sys.stdout.write("hostpid %d\n" % inner)
        sys.stdout.flush()
        _, status = os.waitpid(inner, 0)
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
    os.close(w)
    os.close(r2)
    if os.read(r, 1) != b"x":
        sys.exit("container.py: the child failed")
    if userns is not None:
        with open("/proc/%d/uid_map" % child, "w") as f:
            f.write("0 %d 65536\n" % userns)
        with open("/proc/%d/gid_map" % child, "w") as f:
            f.write("0 %d 65536\n" % userns)
    os.write(w2, b"x")
    os.close(w2)
    _, status = os.waitpid(child, 0)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


if __name__ == "__main__":
    main()
