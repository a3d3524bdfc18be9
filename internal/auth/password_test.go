package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// accented37 is 37 different-looking accented letters, 74 bytes in UTF-8:
// more than bcrypt reads.
var accented37 = strings.Repeat("éàèùâêîôûëïüç", 3)[:37*2]

func TestValidatePassword(t *testing.T) {
	if n := utf8.RuneCountInString(accented37); n != 37 || len(accented37) != 74 {
		t.Fatalf("accented37 has %d characters in %d bytes, want 37 in 74", n, len(accented37))
	}
	tests := []struct {
		name, pw string
		inputs   []string
		want     string // substring of the message; "" means accepted
	}{
		{"12 ASCII", "correct hors", nil, ""},
		{"37 accented letters", accented37, nil, ""},
		{"12 different emoji", "😀😁😂🤣😃😄😅😆😉😊😋😎", nil, ""},
		{"128 characters", strings.Repeat("abcé", 32), nil, ""},
		{"128 characters after NFC", strings.Repeat("ae\u0301", 64), nil, ""},
		{"long passphrase", "tangerine lighthouse of marginal voles", nil, ""},
		{"common word plus digits", "sunshine2024", nil, ""},
		{"common, 12 characters", "password1234", nil, "most common"},

		{"3 emoji", "😀😀😀", nil, "at least 12"},
		{"11 characters", "abcdefghik1", nil, "at least 12"},
		{"11 after NFC", strings.Repeat("e\u0301", 11), nil, "at least 12"},
		{"129 characters", strings.Repeat("abcé", 32) + "x", nil, "at most 128"},
		{"invalid UTF-8", "correct horse\xff", nil, "not valid text"},
		{"password", "password", nil, "at least 12"},
		{"12345678", "12345678", nil, "at least 12"},
		{"qwertyuiop", "qwertyuiop", nil, "at least 12"},
		{"common 123qweasdzxc", "123qweasdzxc", nil, "most common"},
		{"common 1qaz2wsx3edc", "1qaz2wsx3edc", nil, "most common"},
		{"common qwerty123456", "qwerty123456", nil, "most common"},
		{"common, other case", "LeaveMeAlone", nil, "most common"},
		{"own email", "Alice.Liddell@example.org", []string{"alice.liddell@example.org", "Alice"}, "your email"},
		{"own email local part", "ALICE.LIDDELL", []string{"alice.liddell@example.org", "Alice"}, "your email"},
		{"own name", "alice liddell", []string{"a@example.org", " Alice Liddell "}, "your email"},
		{"empty input ignored", "tangerine lighthouse", []string{"", "  "}, ""},
		{"repeated letter", "aaaaaaaaaaaa", nil, "one character repeated"},
		{"repeated emoji", strings.Repeat("😀", 12), nil, "one character repeated"},
		{"digit run", "123456789012", nil, "consecutive"},
		{"descending digit run", "098765432109", nil, "consecutive"},
		{"letter run", "AbCdEfGhIjKl", nil, "consecutive"},
		{"descending letter run", "zyxwvutsrqpo", nil, "consecutive"},
		{"not a run", "123456789013", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePassword(tt.pw, tt.inputs...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidatePassword(%+q) = %v, want nil", tt.pw, err)
				}
				return
			}
			var e *quizflow.Error
			if !errors.As(err, &e) || e.Code != quizflow.EINVALID || e.Field != "password" {
				t.Fatalf("ValidatePassword(%+q) = %#v, want an EINVALID error about password", tt.pw, err)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not contain %q", e.Message, tt.want)
			}
		})
	}
}

func TestCommonPasswords(t *testing.T) {
	set := commonPasswords()
	if len(set) < 10000 {
		t.Errorf("the common-password list has %d entries, want at least 10,000", len(set))
	}
	for _, pw := range []string{"password", "12345678", "qwertyuiop", "123qweasdzxc", "1qaz2wsx3edc", "qwerty123456", "leavemealone"} {
		if _, ok := set[pw]; !ok {
			t.Errorf("%q is not in the common-password list", pw)
		}
	}
}

func TestHashPassword(t *testing.T) {
	const cost = bcrypt.MinCost
	long := strings.Repeat("x", 72)
	tests := []struct {
		name, pw, other string // other must not verify against pw's hash
	}{
		{"37 accented letters", strings.Repeat("é", 37), strings.Repeat("é", 36) + "e"},
		{"37 different accented letters", accented37, accented37[:72]},
		{"128 characters", strings.Repeat("abcé", 32), strings.Repeat("abcé", 31) + "abce"},
		{"same first 72 bytes", long + "A", long + "B"},
		{"prefix of the other", long, long + "A"},
		{"12 emoji", "😀😁😂🤣😃😄😅😆😉😊😋😎", "😀😁😂🤣😃😄😅😆😉😊😋"},
		{"short", "hunter2", "hunter3"},
		{"NUL byte", "a\x00b", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := HashPassword(tt.pw, cost)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(h, "$qf1$") {
				t.Errorf("hash %q lacks the $qf1$ prefix", h)
			}
			if err := ComparePassword(h, tt.pw); err != nil {
				t.Errorf("ComparePassword(hash, pw) = %v, want nil", err)
			}
			if err := ComparePassword(h, tt.other); !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
				t.Errorf("ComparePassword(hash, %+q) = %v, want a mismatch", tt.other, err)
			}
			if NeedsRehash(h, cost) {
				t.Error("NeedsRehash(fresh hash, same cost) = true")
			}
		})
	}
}

func TestComparePasswordNFCAndNFD(t *testing.T) {
	nfc, nfd := "caf\u00e9 au lait!", "cafe\u0301 au lait!"
	h, err := HashPassword(nfc, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := ComparePassword(h, nfd); err != nil {
		t.Errorf("NFD form against the NFC form's hash: %v", err)
	}
	h, err = HashPassword(nfd, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := ComparePassword(h, nfc); err != nil {
		t.Errorf("NFC form against the NFD form's hash: %v", err)
	}
}

func TestComparePasswordLegacy(t *testing.T) {
	legacy, err := bcrypt.GenerateFromPassword([]byte("hunter22"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := string(legacy)
	if err := ComparePassword(h, "hunter22"); err != nil {
		t.Errorf("legacy hash, right password: %v", err)
	}
	if err := ComparePassword(h, "hunter23"); !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		t.Errorf("legacy hash, wrong password: %v, want a mismatch", err)
	}
	if !NeedsRehash(h, bcrypt.MinCost) {
		t.Error("NeedsRehash(legacy hash) = false")
	}

	// bcrypt compares only 72 bytes; a legacy hash must not accept a longer
	// password that starts with the real one.
	pw72 := strings.Repeat("y", 72)
	legacy, err = bcrypt.GenerateFromPassword([]byte(pw72), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := ComparePassword(string(legacy), pw72+"z"); err == nil {
		t.Error("legacy hash of 72 bytes accepted a 73-byte password")
	}
}

func TestComparePasswordMalformed(t *testing.T) {
	for _, h := range []string{"", "$qf1$", "$qf1$not bcrypt", "plain text"} {
		if err := ComparePassword(h, "plain text"); err == nil {
			t.Errorf("ComparePassword(%q, ...) = nil", h)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, err := HashPassword("tangerine lighthouse", bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hash string
		cost int
		want bool
	}{
		{h, bcrypt.MinCost, false},
		{h, bcrypt.MinCost + 1, true},
		{h, 0, true}, // 0 means DefaultCost
		{"$qf1$garbage", bcrypt.MinCost, true},
		{strings.TrimPrefix(h, "$qf1$"), bcrypt.MinCost, true},
	}
	for _, tt := range tests {
		if got := NeedsRehash(tt.hash, tt.cost); got != tt.want {
			t.Errorf("NeedsRehash(%q, %d) = %v, want %v", tt.hash, tt.cost, got, tt.want)
		}
	}
}
