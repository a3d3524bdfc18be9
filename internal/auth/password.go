package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Password length bounds, in characters: runes of the NFC-normalised
// password, so "é" counts once whether typed composed or decomposed, and an
// emoji counts once although it takes four bytes. The maximum exists to
// bound the work of hashing, not because of bcrypt (see HashPassword).
const (
	MinPasswordChars = 12
	MaxPasswordChars = 128
)

// ValidatePassword checks a new password against the policy and returns an
// EINVALID error about field "password" saying what is wrong, or nil. The
// password must be valid UTF-8 of MinPasswordChars to MaxPasswordChars
// characters, and must not be, compared case-insensitively:
//
//   - one of the 30,000 most common passwords in the "passwords" list of
//     github.com/trustelem/zxcvbn/frequency (the list of the zxcvbn
//     strength estimator, drawn from leaked password sets). As the list is
//     ranked by frequency, most entries are shorter than MinPasswordChars
//     and are already refused by the length rule; 229 of them are long
//     enough to need the list;
//   - one of userInputs, such as the user's email address and name, or the
//     local part of any of them that contains an @;
//   - a single character repeated, or a run of consecutive digits or
//     letters such as "123456789012" or "zyxwvutsrqpo" (wrapping from 9 to
//     0 and from z to a).
//
// Matches are exact: "sunshine2024" is not refused because it starts with a
// common password.
func ValidatePassword(pw string, userInputs ...string) error {
	if !utf8.ValidString(pw) {
		return quizflow.Invalid("password", "The password is not valid text.")
	}
	pw = norm.NFC.String(pw)
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordChars:
		return quizflow.Invalid("password", "The password must be at least %d characters long.", MinPasswordChars)
	case n > MaxPasswordChars:
		return quizflow.Invalid("password", "The password must be at most %d characters long.", MaxPasswordChars)
	}
	lower := strings.ToLower(pw)
	if _, ok := commonPasswords()[lower]; ok {
		return quizflow.Invalid("password", "This password is one of the most common ones; choose one that is harder to guess.")
	}
	for _, in := range userInputs {
		in = strings.ToLower(norm.NFC.String(strings.TrimSpace(in)))
		local, _, isEmail := strings.Cut(in, "@")
		if in != "" && (lower == in || (isEmail && lower == local)) {
			return quizflow.Invalid("password", "The password must not be your email address or name.")
		}
	}
	if isRepeat(lower) {
		return quizflow.Invalid("password", "The password must not be one character repeated.")
	}
	if isRun(lower, '0', 10) || isRun(lower, 'a', 26) {
		return quizflow.Invalid("password", "The password must not be a run of consecutive letters or digits.")
	}
	return nil
}

// commonPasswords returns the lower-cased zxcvbn password list as a set.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]struct{}, len(list))
	for _, p := range list {
		set[strings.ToLower(p)] = struct{}{}
	}
	return set
})

// isRepeat reports whether s is one character repeated.
func isRepeat(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}

// isRun reports whether s (of at least two bytes) consists of the n ASCII
// characters from base on, each one after or each one before the previous,
// modulo n.
func isRun(s string, base byte, n int) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < base || int(s[i]-base) >= n {
			return false
		}
	}
	step := (int(s[1]) - int(s[0]) + n) % n
	if step != 1 && step != n-1 {
		return false
	}
	for i := 2; i < len(s); i++ {
		if (int(s[i])-int(s[i-1])+n)%n != step {
			return false
		}
	}
	return true
}

// hashPrefix marks a password hash made by HashPassword; a stored hash
// without it is a plain bcrypt hash from before pre-hashing.
const hashPrefix = "$qf1$"

// HashPassword returns a hash of pw to store: "$qf1$" followed by the
// bcrypt hash, at cost, of base64(SHA-256(NFC(pw))).
//
// bcrypt reads at most 72 bytes, so without the pre-hash a long password
// would either be refused (x/crypto's GenerateFromPassword) or be cut short
// and match anything sharing its first 72 bytes. SHA-256 takes every byte
// into account; its standard base64 form is 44 printable bytes, under the
// cap and free of the NUL bytes some bcrypt implementations stop at. NFC
// makes a password typed with composed or decomposed accents one password.
// A cost below bcrypt.MinCost means bcrypt.DefaultCost, as in bcrypt.
func HashPassword(pw string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword(prehash(pw), cost)
	if err != nil {
		return "", err
	}
	return hashPrefix + string(h), nil
}

// ComparePassword returns nil if pw is the password hash was made from, and
// a non-nil error otherwise: bcrypt.ErrMismatchedHashAndPassword for a
// wrong password, another bcrypt error for a malformed hash. A hash without
// the "$qf1$" prefix is a legacy bcrypt hash of the raw password, which
// only ever held passwords of at most 72 bytes; longer ones do not match
// it (bcrypt would compare only their first 72 bytes).
func ComparePassword(hash, pw string) error {
	if h, ok := strings.CutPrefix(hash, hashPrefix); ok {
		return bcrypt.CompareHashAndPassword([]byte(h), prehash(pw))
	}
	if len(pw) > 72 {
		return bcrypt.ErrMismatchedHashAndPassword
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
}

// NeedsRehash reports whether hash should be replaced by HashPassword(pw,
// cost) once pw is known to match it: it is a legacy hash, it cannot be
// read, or it was made at a cost other than cost (a cost below
// bcrypt.MinCost meaning bcrypt.DefaultCost, as in HashPassword).
func NeedsRehash(hash string, cost int) bool {
	h, ok := strings.CutPrefix(hash, hashPrefix)
	if !ok {
		return true
	}
	if cost < bcrypt.MinCost {
		cost = bcrypt.DefaultCost
	}
	c, err := bcrypt.Cost([]byte(h))
	return err != nil || c != cost
}

// prehash returns base64(SHA-256(NFC(pw))), the bcrypt input of a "$qf1$"
// hash.
func prehash(pw string) []byte {
	sum := sha256.Sum256([]byte(norm.NFC.String(pw)))
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(out, sum[:])
	return out
}
