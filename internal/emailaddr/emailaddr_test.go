package emailaddr

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/quizflow"
)

func TestCanonical(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		name, in, want string // want "" means refused
	}{
		{"case and white space", "  Alice@Example.COM ", "alice@example.com"},
		{"tabs and newlines around", "\t bob@example.org\r\n", "bob@example.org"},
		{"plus and dots kept", "Jo.Ann+Quiz@example.org", "jo.ann+quiz@example.org"},
		{"atext symbols", "a!#$%&'*+-/=?^_`{|}~z@example.org", "a!#$%&'*+-/=?^_`{|}~z@example.org"},
		{"subdomain", "x@Mail.Example.CO.uk", "x@mail.example.co.uk"},
		{"unicode domain", "bob@bücher.example", "bob@xn--bcher-kva.example"},
		{"unicode domain upper case", "bob@BÜCHER.example", "bob@xn--bcher-kva.example"},
		{"A-label domain", "bob@XN--BCHER-KVA.example", "bob@xn--bcher-kva.example"},
		{"NFC domain", "eve@caf\u00e9.example", "eve@xn--caf-dma.example"},
		{"NFD domain", "eve@cafe\u0301.example", "eve@xn--caf-dma.example"},
		// UTS 46 maps these onto the ASCII domain, as a resolver does.
		{"ideographic full stop", "eve@example\u3002org", "eve@example.org"},
		{"fullwidth domain letter", "eve@\uff45xample.org", "eve@example.org"},
		{"Kelvin sign domain", "kate@\u212Aelvin.example", "kate@kelvin.example"},
		{"zero-width space domain", "eve@example.org\u200b", "eve@example.org"},
		{"Unicode look-alike domain", "eve@ex\u0430mple.org", "eve@xn--exmple-4nf.org"},

		{"dotless capital I local part", "adm\u0130n@example.org", ""},
		{"Kelvin sign local part", "\u212Aate@example.org", ""},
		{"Angstrom sign local part", "\u212Bsa@example.org", ""},
		{"fullwidth local part", "\uff41dmin@example.org", ""},
		{"Cyrillic a local part", "\u0430dmin@example.org", ""},
		{"NFD e local part", "rene\u0301@example.org", ""},
		{"empty", "   ", ""},
		{"display name", "Alice <alice@example.com>", ""},
		{"quoted display name", `"Alice" <alice@example.com>`, ""},
		{"angle brackets", "<alice@example.com>", ""},
		{"comment", "alice@example.com (Alice)", ""},
		{"comment in local part", "alice(x)@example.com", ""},
		{"quoted local part", `"alice"@example.com`, ""},
		{"quoted at", `"a@b"@example.com`, ""},
		{"two at", "alice@bob@example.com", ""},
		{"no at", "alice.example.com", ""},
		{"no local part", "@example.com", ""},
		{"no dot", "alice@localhost", ""},
		{"trailing dot", "alice@example.com.", ""},
		{"empty label", "alice@example..com", ""},
		{"leading dot local", ".alice@example.com", ""},
		{"double dot local", "al..ice@example.com", ""},
		{"space inside", "ali ce@example.com", ""},
		{"control character", "ali\x00ce@example.com", ""},
		{"DEL", "ali\x7fce@example.com", ""},
		{"invalid UTF-8", "ali\xffce@example.com", ""},
		{"domain literal", "alice@[192.0.2.1]", ""},
		{"underscore domain", "alice@ex_ample.com", ""},
		{"bad punycode", "alice@xn--a.example", ""},
		{"bidi rule after mapping", "0@\u2136.0", ""}, // found by FuzzCanonical
		{"bidi rule", "0@\u05d1.0", ""},
		{"right-to-left domain", "dan@\u05d1\u05d2.example", "dan@xn--5dbc.example"},
		{"ASCII-only A-label", "alice@xn--abc-.example", ""},
		{"local part 65", strings.Repeat("a", 65) + "@example.com", ""},
		{"local part 64", strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com"},
		{"label 64", "a@" + long + "a.com", ""},
		{"total 254", "a@" + long + "." + long + "." + long + "." + strings.Repeat("b", 60), "a@" + long + "." + long + "." + long + "." + strings.Repeat("b", 60)},
		{"total 255", "a@" + long + "." + long + "." + long + "." + strings.Repeat("b", 61), ""},
		{"total 255 after IDNA", "a@" + long + "." + long + "." + long + "." + strings.Repeat("b", 48) + "bücher", ""},
		{"huge", strings.Repeat("a", 10000) + "@example.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Canonical(%+q) = %+q, want an error", tt.in, got)
				}
				if code := quizflow.ErrorCode(err); code != quizflow.EINVALID {
					t.Errorf("code = %q, want %q", code, quizflow.EINVALID)
				}
				if e, ok := err.(*quizflow.Error); !ok || e.Field != "email" {
					t.Errorf("err = %#v, want a *quizflow.Error with Field email", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Canonical(%+q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Canonical(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

// Look-alikes of an ASCII address must never produce its key.
func TestCanonicalLookAlikes(t *testing.T) {
	for in, ascii := range map[string]string{
		"adm\u0130n@example.org":       "admin@example.org", // strings.ToLower gives "admin"
		"ADM\u0130N@EXAMPLE.ORG":       "admin@example.org",
		"\u212Aate@example.org":        "kate@example.org",  // NFC and ToLower give "kate"
		"\u0430dmin@example.org":       "admin@example.org", // Cyrillic a
		"\uff41dmin@example.org":       "admin@example.org", // fullwidth a
		"adm\u0131n@example.org":       "admin@example.org", // dotless i
		"adm\u0069\u0307n@example.org": "admin@example.org", // i + combining dot
		"admin\u00ad@example.org":      "admin@example.org", // soft hyphen
		"admin@ex\u0430mple.org":       "admin@example.org", // Cyrillic a
		"admin@g\u0131thub.com":        "admin@github.com",  // dotless i
	} {
		got, err := Canonical(in)
		if err == nil && got == ascii {
			t.Errorf("Canonical(%+q) = %q, the key of a different address", in, got)
		}
	}
}

func TestCanonicalNFCAndNFDAgree(t *testing.T) {
	nfc, err := Canonical("eve@caf\u00e9.example")
	if err != nil {
		t.Fatal(err)
	}
	nfd, err := Canonical("eve@cafe\u0301.example")
	if err != nil {
		t.Fatal(err)
	}
	if nfc != nfd {
		t.Errorf("NFC gives %q, NFD gives %q", nfc, nfd)
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		"  Alice@Example.COM ", "bob@bücher.example", "adm\u0130n@example.org",
		"\u212Aate@example.org", "eve@cafe\u0301.example", "a@b.c", "Alice <a@b.c>",
		"a@b@c.d", `"a"@b.c`, "a@xn--bcher-kva.example", "a@example\u3002org",
		"x@\u212Aelvin.example", "a@[1.2.3.4]", "a(b)@c.d", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Canonical(in)
		if err != nil {
			if quizflow.ErrorCode(err) != quizflow.EINVALID {
				t.Fatalf("Canonical(%+q): error %v is not EINVALID", in, err)
			}
			return
		}
		again, err := Canonical(got)
		if err != nil || again != got {
			t.Fatalf("Canonical(%+q) = %+q, but Canonical of that = %+q, %v", in, got, again, err)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Canonical(%+q) = %+q, not valid UTF-8", in, got)
		}
		if strings.Count(got, "@") != 1 {
			t.Fatalf("Canonical(%+q) = %+q, want exactly one @", in, got)
		}
		domain := got[strings.IndexByte(got, '@')+1:]
		for _, r := range domain {
			if r >= utf8.RuneSelf || ('A' <= r && r <= 'Z') {
				t.Fatalf("Canonical(%+q) = %+q, domain not ASCII lower case", in, got)
			}
		}
		if strings.ContainsFunc(got, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
			t.Fatalf("Canonical(%+q) = %+q, has upper-case ASCII", in, got)
		}
		if len(got) > MaxLen {
			t.Fatalf("Canonical(%+q) = %+q, longer than %d", in, got, MaxLen)
		}
	})
}
