package safehttp

import (
	"net/netip"
	"strings"
	"testing"
)

func TestBlocked(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want string // substring of the reason; "" means allowed
	}{
		// Public addresses pass.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"93.184.216.34", ""},
		{"2606:4700:4700::1111", ""},
		{"2a00:1450:4001:80b::200e", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", ""},  // 6to4 of 8.8.8.8
		// IPv4 classes.
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "this network"},
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"10.0.0.5", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"169.254.169.254", "cloud metadata"},
		{"169.254.1.1", "link-local"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.255", "carrier-grade NAT"},
		{"100.100.100.200", "carrier-grade NAT"}, // Alibaba Cloud metadata
		{"192.0.0.192", "IETF"},                  // Oracle Cloud metadata
		{"192.0.2.1", "documentation"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		// IPv6 classes.
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::127.0.0.1", "IPv4-compatible"},
		{"fc00::1", "unique local"},
		{"fd12:3456::1", "unique local"},
		{"fd00:ec2::254", "cloud metadata"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"fec0::1", "site-local"},
		{"ff02::1", "multicast"},
		{"100::1", "discard"},
		{"2001:db8::1", "documentation"},
		{"3fff::1", "documentation"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
		{"2001:2::1", "IETF"},
		{"64:ff9b:1::1", "local-use NAT64"},
		{"4000::1", "reserved"}, // outside 2000::/3
		// IPv6 carrying IPv4: judged by the IPv4 address.
		{"::ffff:127.0.0.1", "IPv4-mapped address of 127.0.0.1, a loopback"},
		{"::ffff:169.254.169.254", "cloud metadata"},
		{"::ffff:10.0.0.5", "private"},
		{"64:ff9b::a00:5", "NAT64 address of 10.0.0.5, a private"},
		{"64:ff9b::7f00:1", "NAT64 address of 127.0.0.1"},
		{"2002:a9fe:a9fe::1", "6to4 address of 169.254.169.254, the cloud metadata"},
		{"2002:c0a8:101::1", "6to4 address of 192.168.1.1"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			why, blocked := Blocked(netip.MustParseAddr(tc.addr))
			if tc.want == "" {
				if blocked {
					t.Fatalf("Blocked(%s) = %q, want allowed", tc.addr, why)
				}
				return
			}
			if !blocked || !strings.Contains(why, tc.want) {
				t.Fatalf("Blocked(%s) = %q, %v; want blocked, reason containing %q", tc.addr, why, blocked, tc.want)
			}
		})
	}
}

func TestBlockedInvalid(t *testing.T) {
	if _, blocked := Blocked(netip.Addr{}); !blocked {
		t.Fatal("the zero Addr must be blocked")
	}
}

func TestParseAllow(t *testing.T) {
	a, err := parseAllow([]string{"Hooks.Example.com.", "127.0.0.1:8080", "[::1]:9090", "10.1.0.0/16", "192.0.2.7", "::ffff:203.0.113.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host, port string
		want       bool
	}{
		{"hooks.example.com", "443", true},
		{"HOOKS.example.com.", "8443", true},
		{"other.example.com", "443", false},
		{"127.0.0.1", "8080", true},
		{"127.0.0.1", "8081", false},
		{"::1", "9090", true},
		{"10.1.200.3", "443", true},
		{"10.2.0.1", "443", false},
		{"192.0.2.7", "1", true},
		{"203.0.113.1", "443", true}, // the mapped entry is unmapped
	} {
		if got := a.host(tc.host, tc.port); got != tc.want {
			t.Errorf("allowed(%s, %s) = %v, want %v", tc.host, tc.port, got, tc.want)
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "http://x", "host:0", "host:http", "a b"} {
		if _, err := parseAllow([]string{bad}); err == nil {
			t.Errorf("parseAllow(%q) succeeded, want an error", bad)
		}
	}
}
