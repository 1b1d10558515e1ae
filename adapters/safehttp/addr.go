package safehttp

import (
	"fmt"
	"net/netip"
)

// class names a range of addresses that may not be dialled.
type class struct {
	prefix netip.Prefix
	name   string
}

func classes(names ...string) []class {
	cs := make([]class, 0, len(names)/2)
	for i := 0; i < len(names); i += 2 {
		cs = append(cs, class{netip.MustParsePrefix(names[i]), names[i+1]})
	}
	return cs
}

// The first matching entry names the class, so more specific prefixes come
// first. The lists follow the IANA special-purpose registries (RFC 6890 and
// successors), keeping every range that is not globally reachable.
var (
	blockedV4 = classes(
		"0.0.0.0/32", "the unspecified address",
		"0.0.0.0/8", `a "this network" address`,
		"10.0.0.0/8", "a private address",
		// Also covers Alibaba Cloud's metadata service, 100.100.100.200.
		"100.64.0.0/10", "a carrier-grade NAT address",
		"127.0.0.0/8", "a loopback address",
		"169.254.169.254/32", "the cloud metadata address",
		"169.254.0.0/16", "a link-local address",
		"172.16.0.0/12", "a private address",
		// Includes Oracle Cloud's metadata service, 192.0.0.192.
		"192.0.0.0/24", "an IETF protocol assignment",
		"192.0.2.0/24", "a documentation address",
		"192.88.99.0/24", "a 6to4 relay anycast address",
		"192.168.0.0/16", "a private address",
		"198.18.0.0/15", "a benchmarking address",
		"198.51.100.0/24", "a documentation address",
		"203.0.113.0/24", "a documentation address",
		"224.0.0.0/4", "a multicast address",
		"255.255.255.255/32", "the broadcast address",
		"240.0.0.0/4", "a reserved address",
	)
	blockedV6 = classes(
		"::/128", "the unspecified address",
		"::1/128", "a loopback address",
		"::/96", "an IPv4-compatible address",
		"64:ff9b:1::/48", "a local-use NAT64 address",
		"100::/64", "a discard-only address",
		"2001::/32", "a Teredo address",
		"2001::/23", "an IETF protocol assignment",
		"2001:db8::/32", "a documentation address",
		"3fff::/20", "a documentation address",
		"5f00::/16", "a segment routing address",
		"fd00:ec2::254/128", "the cloud metadata address",
		"fc00::/7", "a private (unique local) address",
		"fe80::/10", "a link-local address",
		"fec0::/10", "a site-local address",
		"ff00::/8", "a multicast address",
	)
	globalV6  = netip.MustParsePrefix("2000::/3")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Blocked reports whether addr may not be dialled and, if so, why: "a
// private address", "the cloud metadata address". IPv6 addresses that carry
// an IPv4 address (IPv4-mapped, NAT64, 6to4) are blocked exactly when the
// IPv4 address is, since that is where the packets end up.
func Blocked(addr netip.Addr) (why string, blocked bool) {
	addr = addr.WithZone("")
	if !addr.IsValid() {
		return "not an IP address", true
	}
	if addr.Is4In6() {
		return embedded("an IPv4-mapped address", addr.Unmap())
	}
	if addr.Is4() {
		return lookup(blockedV4, addr)
	}
	b := addr.As16()
	switch {
	case nat64.Contains(addr):
		return embedded("a NAT64 address", netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(addr):
		return embedded("a 6to4 address", netip.AddrFrom4([4]byte(b[2:6])))
	}
	return lookup(blockedV6, addr)
}

func lookup(cs []class, addr netip.Addr) (string, bool) {
	for _, c := range cs {
		if c.prefix.Contains(addr) {
			return c.name, true
		}
	}
	// Safety nets for anything the tables miss. IANA allocates global
	// unicast IPv6 only from 2000::/3; the rest is reserved.
	if !addr.IsGlobalUnicast() || (addr.Is6() && !globalV6.Contains(addr)) {
		return "a reserved address", true
	}
	return "", false
}

func embedded(kind string, v4 netip.Addr) (string, bool) {
	why, blocked := lookup(blockedV4, v4)
	if !blocked {
		return "", false
	}
	return fmt.Sprintf("%s of %s, %s", kind, v4, why), true
}
