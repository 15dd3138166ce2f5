"""Named network namespaces, and netlink sockets inside them, without forking.

pyroute2 opens a socket in another namespace by forking a child that calls
setns(2); a forked child of a process running gRPC's threads is fragile and
costs milliseconds per namespace. setns(2) and unshare(2) with CLONE_NEWNET
change only the calling thread, and a socket stays in the namespace it was
created in, so this module switches the current thread, creates the socket
(or bind-mounts the new namespace, as `ip netns add` does) and switches back
before returning. Nothing awaits in between, so no other coroutine ever runs
in the wrong namespace.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import socket

from pyroute2 import AsyncIPRoute
from pyroute2 import netns as pyroute2_netns
from pyroute2.netlink import NETLINK_ROUTE

NETNS_DIR = "/run/netns"

_CLONE_NEWNET = 0x40000000
_MS_BIND = 4096
_MS_REC = 16384
_MS_SHARED = 1 << 20

_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str, name: str = "") -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}", name)


def path(name: str) -> str:
    return os.path.join(NETNS_DIR, name)


def exists(name: str) -> bool:
    return os.path.exists(path(name))


def inode(name: str) -> int:
    """Identity of a named namespace: a new namespace under the same name
    has another inode."""
    return os.stat(path(name)).st_ino if name else os.stat("/proc/thread-self/ns/net").st_ino


@contextlib.contextmanager
def _entered(target_fd: int | None, name: str):
    """Runs the body with this thread in `target_fd`'s namespace (or in a
    brand-new one when target_fd is None), then switches back."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if target_fd is None:
            _check(_libc.unshare(_CLONE_NEWNET), "unshare", name)
        else:
            _check(_libc.setns(target_fd, _CLONE_NEWNET), "setns", name)
        try:
            yield
        finally:
            # Failing to come back would leave the event loop's thread in a
            # port's namespace: nothing sane can continue after that.
            if _libc.setns(own, _CLONE_NEWNET) != 0:
                os.abort()
    finally:
        os.close(own)


def _share_netns_dir() -> None:
    """Makes NETNS_DIR a shared mount, as iproute2 does, so a namespace
    mounted there is visible to every mount namespace."""
    os.makedirs(NETNS_DIR, exist_ok=True)
    if _libc.mount(b"", NETNS_DIR.encode(), b"none", _MS_SHARED | _MS_REC, None) == 0:
        return
    _check(_libc.mount(NETNS_DIR.encode(), NETNS_DIR.encode(), b"none", _MS_BIND | _MS_REC,
                       None), "bind mount " + NETNS_DIR)
    _check(_libc.mount(b"", NETNS_DIR.encode(), b"none", _MS_SHARED | _MS_REC, None),
           "share " + NETNS_DIR)


def create(name: str) -> None:
    """Creates the named namespace (`ip netns add NAME`). Raises
    FileExistsError when it exists."""
    _share_netns_dir()
    target = path(name)
    os.close(os.open(target, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    try:
        with _entered(None, name):
            _check(_libc.mount(b"/proc/thread-self/ns/net", target.encode(), b"none", _MS_BIND,
                               None), "bind mount", name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise


def remove(name: str) -> None:
    """Removes the named namespace (`ip netns del NAME`); a missing one is
    not an error."""
    try:
        pyroute2_netns.remove(name)
    except FileNotFoundError:
        pass
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise


@contextlib.contextmanager
def entered(name: str):
    """Runs the body with this thread in the named namespace ("" = stay).
    The body must not await: run it in a worker thread, or keep it short."""
    if not name:
        yield
        return
    fd = os.open(path(name), os.O_RDONLY)
    try:
        with _entered(fd, name):
            yield
    finally:
        os.close(fd)


def write_sysctl(name: str, key: str, value: str) -> None:
    """Sets a net.* sysctl inside the named namespace: /proc/sys/net resolves
    to the namespace of the thread that opens it."""
    with entered(name):
        with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
            f.write(value)


def read_sysctl(name: str, key: str) -> str:
    with entered(name):
        with open("/proc/sys/" + key.replace(".", "/")) as f:
            return f.read().strip()


def netlink_socket(name: str) -> socket.socket:
    """A NETLINK_ROUTE socket in the named namespace ("" = this thread's)."""
    if not name:
        return socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_ROUTE)
    fd = os.open(path(name), os.O_RDONLY)
    try:
        with _entered(fd, name):
            return socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_ROUTE)
    finally:
        os.close(fd)


def iproute(name: str) -> AsyncIPRoute:
    """An rtnetlink client bound to the named namespace, subscribed to no
    multicast group (the agent reads state by dumps, not events)."""
    return AsyncIPRoute(fileno=netlink_socket(name).detach(), groups=0)
