// Numbers from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h> and
// <linux/if.h>: the only ones flatroute speaks. Values are ABI, never change.

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_ROUTE = 0;

export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const SO_ATTACH_FILTER = 26;
export const SOL_NETLINK = 270;
/** Error replies carry only the header of the failed request, not its body. */
export const NETLINK_CAP_ACK = 10;
/** Dump requests are filtered by the kernel (table, protocol) instead of returning everything. */
export const NETLINK_GET_STRICT_CHK = 12;
export const MSG_DONTWAIT = 0x40;

export const RTMGRP_LINK = 0x1;
export const RTMGRP_IPV4_ROUTE = 0x40;
export const RTMGRP_IPV6_ROUTE = 0x400;

export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

export const RTMSG_LEN = 12;
export const IFINFOMSG_LEN = 16;
export const RTNEXTHOP_LEN = 8;

export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;
export const RTA_VIA = 18;

export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;

export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_MAIN = 254;

/** Return the route the lookup matched (as `ip route get fibmatch`), not a synthesized one. */
export const RTM_F_FIB_MATCH = 0x2000;

export const RTNH_F_DEAD = 0x1;
export const RTNH_F_ONLINK = 0x4;
export const RTNH_F_LINKDOWN = 0x10;

export const IFLA_IFNAME = 3;
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;

export const RTPROT_BGP = 186;

export const EAGAIN = 11;
export const EINTR = 4;
export const ESRCH = 3;
export const EEXIST = 17;
export const ENOBUFS = 105;
