package httpserver

import (
	"net"
	"net/netip"
)

// IsLoopback reports whether addr, the address a listener is bound to, is a
// loopback address (127.0.0.0/8 or ::1). An unspecified address (0.0.0.0,
// ::) listens on every interface and is not loopback. Only a server on a
// loopback address lends its own API key to requests that carry none.
func IsLoopback(addr net.Addr) bool {
	if addr == nil {
		return false
	}
	var ip netip.Addr
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	default:
		host, _, err := net.SplitHostPort(addr.String())
		if err != nil {
			return false
		}
		ip, _ = netip.ParseAddr(host)
	}
	return ip.IsValid() && ip.Unmap().IsLoopback()
}
