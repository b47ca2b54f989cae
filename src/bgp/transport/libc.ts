// The few libc calls Node does not expose, bound through koffi on first use so
// that importing the transport layer costs nothing until a socket option is set.
import koffi from "koffi";

export interface Libc {
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: number[]): number;
  /** errno of the last call made through koffi on this thread. */
  errno(): number;
  strerror(errno: number): string;
}

let cached: Libc | undefined;

export function libc(): Libc {
  if (cached) return cached;
  const lib = koffi.load("libc.so.6");
  const setsockopt = lib.func(
    "int setsockopt(int fd, int level, int name, const void *value, uint32_t length)",
  ) as Libc["setsockopt"];
  const getsockopt = lib.func(
    "int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *length)",
  ) as Libc["getsockopt"];
  const strerror = lib.func("const char *strerror(int errnum)") as (errnum: number) => string;
  cached = { setsockopt, getsockopt, errno: () => koffi.errno(), strerror };
  return cached;
}
