package safehttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// guard applies a Policy to URLs and to the addresses actually dialled.
type guard struct {
	allowHTTP bool
	allow     allowList
	resolver  Resolver
}

func newGuard(p Policy) (*guard, error) {
	allow, err := parseAllow(p.Allow)
	if err != nil {
		return nil, err
	}
	return &guard{allowHTTP: p.AllowHTTP, allow: allow, resolver: p.resolver()}, nil
}

// checkURL is the static check, made for the first request and again for
// every redirect hop. It needs no DNS; names are checked when dialled.
func (g *guard) checkURL(u *url.URL) error {
	refuse := func(addr netip.Addr, format string, args ...any) error {
		return &RefusedError{URL: redact(u), Host: u.Hostname(), Addr: addr, Reason: fmt.Sprintf(format, args...)}
	}
	host := u.Hostname()
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return refuse(netip.Addr{}, "scheme %q is not allowed, use https", u.Scheme)
	}
	if host == "" {
		return refuse(netip.Addr{}, "no host")
	}
	allowed := g.allow.host(host, port(u))
	if scheme == "http" && !g.allowHTTP && !allowed {
		return refuse(netip.Addr{}, "plain http is not allowed, use https")
	}
	if allowed {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if why, blocked := Blocked(ip); blocked {
			return refuse(ip, "%s is %s", ip, why)
		}
	}
	return nil
}

// port returns u's port, or the scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// resolve returns the addresses to dial for host, refusing them all if any
// one is blocked: a name that mixes public and internal answers is hostile
// or broken, and either way not worth trying.
func (g *guard) resolve(ctx context.Context, host, port string) ([]netip.Addr, error) {
	exempt := g.allow.host(host, port)
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if why, blocked := Blocked(ip); blocked && !exempt {
			return nil, &RefusedError{Host: host, Addr: ip, Reason: fmt.Sprintf("%s is %s", ip, why)}
		}
		return []netip.Addr{ip}, nil
	}
	ipas, err := g.resolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	addrs := make([]netip.Addr, 0, len(ipas))
	for _, ipa := range ipas {
		ip, ok := netip.AddrFromSlice(ipa.IP)
		if !ok {
			continue
		}
		// Unmap, so an IPv4-mapped answer is judged and dialled as IPv4.
		ip = ip.Unmap()
		if why, blocked := Blocked(ip); blocked && !exempt && !g.allow.addr(ip) {
			return nil, &RefusedError{Host: host, Addr: ip, Reason: fmt.Sprintf("resolves to %s, %s", ip, why)}
		}
		addrs = append(addrs, ip)
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

// dialTimeout bounds one connection attempt, so that one black-holed
// address leaves time to try the next.
const dialTimeout = 5 * time.Second

// dialContext resolves the host once, checks every address, and connects to
// a checked address literal: the name is never handed to the system resolver,
// so it cannot resolve differently between check and connect.
func (g *guard) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := g.resolve(ctx, host, port)
	if err != nil {
		return nil, err
	}
	exempt := g.allow.host(host, port)
	d := net.Dialer{
		Timeout:   dialTimeout,
		KeepAlive: 30 * time.Second,
		// A second line of defence: judge the address the socket really
		// connects to, whatever the path that led there.
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("safehttp: unexpected socket address %q", address)
			}
			ip := ap.Addr().Unmap()
			if why, blocked := Blocked(ip); blocked && !exempt && !g.allow.addr(ip) {
				return &RefusedError{Host: host, Addr: ip, Reason: fmt.Sprintf("connects to %s, %s", ip, why)}
			}
			return nil
		},
	}
	var errs []error
	for _, ip := range addrs {
		if (network == "tcp4" && !ip.Is4()) || (network == "tcp6" && !ip.Is6()) {
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		var refused *RefusedError
		if errors.As(err, &refused) || ctx.Err() != nil {
			return nil, err
		}
		errs = append(errs, err)
	}
	switch len(errs) {
	case 0:
		return nil, &net.DNSError{Err: "no " + network + " addresses", Name: host, IsNotFound: true}
	case 1:
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}
