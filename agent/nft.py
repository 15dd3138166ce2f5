"""nftables and conntrack inside a namespace, without a process per call.

nft rulesets go through libnftables (the library behind the `nft` command,
Debian's libnftables1, installed with nftables) loaded with ctypes: the
library opens its netlink socket in the namespace of the calling thread, so
each call enters the namespace (agent.netns), runs one batch and leaves.
A batch is one kernel transaction: it applies whole or not at all.

Forgetting connections is one ctnetlink flush filtered by conntrack mark
(agent.firewall marks what each direction's rules let in).

Everything here blocks for a few milliseconds; the Linux driver calls it
from a worker thread.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import socket
import struct
import threading

from agent import netns

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_DELETE = 2
CTA_MARK = 8
CTA_MARK_MASK = 21
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLMSG_ERROR = 2


class NftError(Exception):
    """nft refused a command; the message is nft's own."""


_lib = None
_lib_lock = threading.Lock()


def _library():
    global _lib
    with _lib_lock:
        if _lib is None:
            name = ctypes.util.find_library("nftables") or "libnftables.so.1"
            lib = ctypes.CDLL(name)
            lib.nft_ctx_new.restype = ctypes.c_void_p
            lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
            lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
            for f in ("nft_ctx_buffer_output", "nft_ctx_buffer_error"):
                getattr(lib, f).argtypes = [ctypes.c_void_p]
            for f in ("nft_ctx_get_output_buffer", "nft_ctx_get_error_buffer"):
                getattr(lib, f).argtypes = [ctypes.c_void_p]
                getattr(lib, f).restype = ctypes.c_char_p
            lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            _lib = lib
    return _lib


def available() -> str | None:
    """None when libnftables can be loaded; otherwise why not."""
    try:
        _library()
    except OSError as e:
        return f"libnftables is not installed (Debian nftables): {e}"
    return None


def run(namespace: str, commands: str) -> str:
    """Runs nft commands (one transaction) in the namespace; returns nft's
    output. Raises NftError with nft's message when it refuses."""
    lib = _library()
    with netns.entered(namespace):
        ctx = lib.nft_ctx_new(0)
        try:
            lib.nft_ctx_buffer_output(ctx)
            lib.nft_ctx_buffer_error(ctx)
            rc = lib.nft_run_cmd_from_buffer(ctx, commands.encode())
            out = (lib.nft_ctx_get_output_buffer(ctx) or b"").decode()
            err = (lib.nft_ctx_get_error_buffer(ctx) or b"").decode()
        finally:
            lib.nft_ctx_free(ctx)
    if rc != 0:
        raise NftError(err.strip() or f"nft failed ({rc})")
    return out


def list_table(namespace: str, family: str, table: str) -> str | None:
    """The table as nft prints it, None when there is no such table."""
    try:
        return run(namespace, f"list table {family} {table}")
    except NftError as e:
        if "No such file or directory" in str(e):
            return None
        raise


def delete_table(namespace: str, family: str, table: str) -> None:
    run(namespace, f"table {family} {table}\ndelete table {family} {table}")


def forget_connections(namespace: str, mark: int) -> None:
    """Deletes every conntrack entry of the namespace that carries `mark`:
    their next packet is judged by the rules again, as a new connection."""
    with netns.entered(namespace):
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    with sock:
        attrs = (struct.pack("=HH", 8, CTA_MARK) + struct.pack("!I", mark)
                 + struct.pack("=HH", 8, CTA_MARK_MASK) + struct.pack("!I", 0xFFFFFFFF))
        body = struct.pack("=BBH", socket.AF_UNSPEC, 0, 0) + attrs  # nfgenmsg: all families
        kind = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE
        sock.send(struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | NLM_F_ACK, 1, 0)
                  + body)
        reply = sock.recv(65536)
        _, rkind, _, _, _ = struct.unpack_from("=IHHII", reply)
        if rkind == NLMSG_ERROR:
            (code,) = struct.unpack_from("=i", reply, 16)
            # ENOENT: nothing carried the mark.
            if code < 0 and -code != errno.ENOENT:
                raise OSError(-code, f"conntrack flush: {errno.errorcode.get(-code, -code)}")
