package devstack

import "testing"

func TestBannerAddresses(t *testing.T) {
	for _, tt := range []struct {
		addr, browse string
		loopback     bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"[::1]:8080", "[::1]:8080", true},
		{"0.0.0.0:8080", "127.0.0.1:8080", false},
		{"[::]:8080", "127.0.0.1:8080", false},
		{"192.0.2.7:8080", "192.0.2.7:8080", false},
	} {
		if got := browsable(tt.addr); got != tt.browse {
			t.Errorf("browsable(%q) = %q, want %q", tt.addr, got, tt.browse)
		}
		if got := loopback(tt.addr); got != tt.loopback {
			t.Errorf("loopback(%q) = %v, want %v", tt.addr, got, tt.loopback)
		}
	}
}
