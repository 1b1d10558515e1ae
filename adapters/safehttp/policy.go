package safehttp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero fields of a Policy.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultTimeout      = 10 * time.Second
)

// Policy says what a client may reach. The zero Policy is the strict one:
// https to public addresses only, no redirects, 1 MiB bodies, 10 s per
// request, the system resolver.
type Policy struct {
	// AllowHTTP permits plain http to any host that passes the address
	// checks. Without it only allow-listed hosts may use plain http.
	AllowHTTP bool
	// Allow lists exemptions from the address checks (and from the https
	// requirement): a host name ("hooks.internal"), a host and port
	// ("127.0.0.1:8080", "[::1]:8080"), an IP ("10.1.2.3") or a CIDR
	// ("10.1.0.0/16"). Names and host:port entries match the URL's host;
	// IPs and CIDRs match an IP-literal host or any address a name
	// resolves to.
	Allow []string
	// MaxBodyBytes caps response bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Timeout bounds a whole request, redirects and body included; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed, each re-validated.
	// With 0 (the default) none are: the 3xx response is returned as is.
	MaxRedirects int
	// Resolver resolves host names; nil means net.DefaultResolver. A
	// *net.Resolver fits, and so does a ResolverFunc in tests.
	Resolver Resolver
}

// Resolver looks up the addresses of a host. *net.Resolver implements it.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, host string) ([]net.IPAddr, error)

// LookupIPAddr calls f.
func (f ResolverFunc) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	return f(ctx, host)
}

// allowList is Policy.Allow parsed.
type allowList struct {
	hosts     map[string]bool // normalised host
	hostPorts map[string]bool // normalised host + ":" + port
	prefixes  []netip.Prefix
}

func parseAllow(entries []string) (allowList, error) {
	a := allowList{hosts: map[string]bool{}, hostPorts: map[string]bool{}}
	for _, raw := range entries {
		e := strings.TrimSpace(raw)
		if p, err := netip.ParsePrefix(e); err == nil {
			a.prefixes = append(a.prefixes, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(e); err == nil {
			ip = ip.WithZone("").Unmap()
			a.prefixes = append(a.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		if host, port, err := net.SplitHostPort(e); err == nil {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || !validHost(host) {
				return a, fmt.Errorf("safehttp: allow-list entry %q: bad host or port", raw)
			}
			a.hostPorts[normHost(host)+":"+port] = true
			continue
		}
		if !validHost(e) {
			return a, fmt.Errorf("safehttp: allow-list entry %q is not a host, host:port, IP or CIDR", raw)
		}
		a.hosts[normHost(e)] = true
	}
	return a, nil
}

// validHost accepts what a URL host can be: a name or an IP literal. It is
// deliberately loose; its job is to catch typos such as a stray "/" or space.
func validHost(h string) bool {
	return h != "" && !strings.ContainsAny(h, "/ \t\r\n@?#[]")
}

// normHost makes equal hosts compare equal: case, trailing dot, IP spelling.
func normHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.WithZone("").Unmap().String()
	}
	return h
}

// host reports whether host (and port) are exempt from the checks.
func (a allowList) host(host, port string) bool {
	h := normHost(host)
	if a.hosts[h] || a.hostPorts[h+":"+port] {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && a.addr(ip)
}

// addr reports whether ip is exempt from the checks.
func (a allowList) addr(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (p Policy) maxBody() int64 {
	if p.MaxBodyBytes > 0 {
		return p.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

func (p Policy) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

func (p Policy) resolver() Resolver {
	if p.Resolver != nil {
		return p.Resolver
	}
	return net.DefaultResolver
}
