package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// TestWeakSecretPassesRandom: what `openssl rand -hex 32` and `openssl rand
// -base64 32` print is never refused, nor the shortest random secrets
// accepted (32 characters). Each value is drawn from crypto/rand.
func TestWeakSecretPassesRandom(t *testing.T) {
	encodings := []struct {
		name   string
		bytes  int
		encode func([]byte) string
		n      int
	}{
		{"openssl rand -hex 32", 32, hex.EncodeToString, 20000},
		{"openssl rand -base64 32", 32, base64.StdEncoding.EncodeToString, 20000},
		{"base64url of 32 bytes", 32, base64.RawURLEncoding.EncodeToString, 20000},
		{"openssl rand -base64 24", 24, base64.StdEncoding.EncodeToString, 20000},
		// The tight case: about 1 in 10^7 is refused (see minSecretDistinct),
		// so few draws keep the test from flaking.
		{"openssl rand -hex 16", 16, hex.EncodeToString, 500},
	}
	for _, e := range encodings {
		t.Run(e.name, func(t *testing.T) {
			b := make([]byte, e.bytes)
			for range e.n {
				if _, err := rand.Read(b); err != nil {
					t.Fatal(err)
				}
				s := e.encode(b)
				if len(s) < MinSecretLen {
					t.Fatalf("%q is shorter than MinSecretLen", s)
				}
				if why := weakSecret(s); why != "" {
					t.Fatalf("random %q refused: it %s", s, why)
				}
			}
		})
	}
}

func TestWeakSecretRefuses(t *testing.T) {
	for _, tt := range []struct{ secret, why string }{
		{strings.Repeat("a", 32), "is one byte repeated"},
		{strings.Repeat("ab", 16), "has only 2 distinct bytes"},
		{strings.Repeat("abcdefg", 5), "has only 7 distinct bytes"},
		{"0123456789012345678901234567890123", "repeats a 10-byte pattern"},
		{strings.Repeat("a", 24) + "bcdefghi", "has an estimated entropy of 1.6 bits per byte"},
		{"my-secret-key-my-secret-key-my-secret-key", "repeats a 14-byte pattern"},
		{"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", "is mostly a run of neighbouring characters (like abcd or 1234)"},
		{"aabbccddeeffgghhiijjkkllmmnnoopp", "is mostly a run of neighbouring characters (like abcd or 1234)"},
		{"zyxwvutsrqponmlkjihgfedcba987654", "is mostly a run of neighbouring characters (like abcd or 1234)"},
	} {
		if got := weakSecret(tt.secret); got != tt.why {
			t.Errorf("weakSecret(%q) = %q, want %q", tt.secret, got, tt.why)
		}
	}
}
