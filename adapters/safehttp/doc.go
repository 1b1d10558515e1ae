// Package safehttp is an HTTP client for URLs that users supply: webhook
// callback URLs, and the source images of edit and remix requests. Such a URL
// may point anywhere, so the client refuses to reach the network it runs in
// (server-side request forgery).
//
// The guard has three layers:
//
//   - Each request URL, including every redirect hop, must be https (plain
//     http only with Policy.AllowHTTP or for an allow-listed host), and an
//     IP-literal host must be a public address.
//   - At dial time the host is resolved once, every address is checked, and
//     the connection goes to a checked address literal. A name that resolved
//     to a public address when the URL was validated and to 127.0.0.1 by the
//     time of the request (DNS rebinding) is therefore refused: there is no
//     second resolution to race.
//   - Environment proxies are ignored, since a proxy would make the dial-time
//     check see the proxy's address instead of the target's.
//
// Refused: loopback, private (RFC 1918), link-local 169.254.0.0/16 with the
// cloud metadata address, carrier-grade NAT 100.64.0.0/10, 0.0.0.0/8,
// unspecified, multicast, broadcast, reserved, benchmarking and documentation
// ranges, and their IPv6 equivalents (::1, fc00::/7, fe80::/10, ff00::/8 and
// others). IPv6 addresses that embed an IPv4 one (IPv4-mapped ::ffff:0:0/96,
// NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the embedded address. See
// Blocked.
//
// A refusal is a *RefusedError, which survives the wrapping of net/http
// (errors.As finds it). Response bodies are capped: reading past
// Policy.MaxBodyBytes fails with ErrBodyTooLarge.
//
// Policy.Allow exempts hosts (by name, name:port, IP or CIDR) from the
// checks; tests use it to reach an httptest server on loopback, and a
// deployment may use it for a known internal receiver.
package safehttp
