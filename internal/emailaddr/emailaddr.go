// Package emailaddr gives every email address one canonical form, the key
// used for account uniqueness, login and operator checks.
//
// Canonical applies these rules, in order:
//
//   - White space around the address is trimmed.
//   - The address must be valid UTF-8 without control characters.
//   - It must be a bare addr-spec that net/mail.ParseAddress accepts as is:
//     no display name ("Alice <a@example.com>"), no comment, no angle
//     brackets, exactly one unquoted @.
//   - The local part (before @) may hold only ASCII letters, digits and the
//     RFC 5322 atext symbols ! # $ % & ' * + - / = ? ^ _ ` { | } ~, in
//     dot-separated atoms; quoted local parts are refused. Its ASCII letters
//     are lower-cased. This is checked on the address as given, before
//     normalisation, because NFC itself turns some non-ASCII characters into
//     ASCII ones: the Kelvin sign U+212A is canonically equivalent to "K".
//   - The address is NFC-normalised, so composed and decomposed forms of one
//     character (é as U+00E9 or as e + U+0301) give the same key. As the
//     local part is ASCII by then, this only changes the domain.
//   - The domain is converted to its ASCII (A-label) form with IDNA
//     (idna.Lookup, UTS 46 mapping), lower-cased, and must have at least two
//     labels of 1 to 63 bytes each. UTS 46 maps some look-alikes onto ASCII
//     (fullwidth letters, the Kelvin sign, ideographic full stop) and drops
//     invisible ones (zero-width space, soft hyphen); that is how resolvers
//     look such a domain up, so mail to either form reaches the same host and
//     sharing one key is right.
//   - The result is at most MaxLen bytes, its local part at most
//     MaxLocalLen bytes.
//
// Why non-ASCII local parts are refused rather than kept unfolded: keeping
// them (RFC 6531) without case folding would stop "admİn" (U+0130) or
// "\u212Aate" (Kelvin sign) from colliding with "admin" or "kate", but the
// account would still look like the other one wherever its address is shown,
// and Cyrillic "а" or Greek "ο" look exactly like Latin letters with no
// folding involved. Unicode offers no local-part rule that a mail server is
// bound to honour, so there is no safe way to fold or compare them either.
// Refusing them means every key is pure ASCII: two keys that look alike are
// alike. An internationalised domain stays usable because its key is the
// A-label (bücher.example becomes xn--bcher-kva.example), which shows the
// difference from any ASCII look-alike domain.
//
// Only ASCII letters are lower-cased, never with Unicode case folding:
// strings.ToLower maps U+0130 to "i" and U+212A to "k", which is what let
// look-alikes collide with ASCII addresses.
package emailaddr

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Length limits of a canonical address, in bytes (RFC 5321 section 4.5.3.1,
// with the 256-byte path less its angle brackets).
const (
	MaxLen      = 254
	MaxLocalLen = 64
	// maxLabelLen is the limit of one DNS label.
	maxLabelLen = 63
	// maxInputLen bounds the work done on an input before it is refused;
	// no valid address comes close, whatever IDNA later removes.
	maxInputLen = 4 * MaxLen
)

// Canonical returns the canonical form of addr (see the package doc), or an
// EINVALID error about field "email" that says what is wrong with it.
func Canonical(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	switch {
	case addr == "":
		return "", quizflow.Invalid("email", "Enter an email address.")
	case len(addr) > maxInputLen:
		return "", errTooLong()
	case !utf8.ValidString(addr):
		return "", quizflow.Invalid("email", "The email address is not valid text.")
	case strings.ContainsFunc(addr, unicode.IsControl):
		return "", quizflow.Invalid("email", "The email address must not contain control characters.")
	}

	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr {
		return "", errNotBare()
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || strings.IndexByte(addr, '@') != at {
		// ParseAddress only accepts a second @ inside quotes.
		return "", errNotBare()
	}
	local, domain := addr[:at], addr[at+1:]

	// Before NFC: see the package doc.
	if err := checkLocal(local); err != nil {
		return "", err
	}
	domain, err = canonicalDomain(norm.NFC.String(domain))
	if err != nil {
		return "", err
	}
	out := lowerASCII(local) + "@" + domain
	if len(out) > MaxLen {
		return "", errTooLong()
	}
	return out, nil
}

// errTooLong and errNotBare return a new error each time, so that a caller
// changing one cannot change the next.
func errTooLong() error {
	return quizflow.Invalid("email", "The email address is too long (at most %d characters, %d before the @).", MaxLen, MaxLocalLen)
}

func errNotBare() error {
	return quizflow.Invalid("email", "Enter a bare email address such as name@example.com, without a name, comment or angle brackets.")
}

// checkLocal reports whether local is a dot-atom of ASCII atext within
// MaxLocalLen.
func checkLocal(local string) error {
	if len(local) > MaxLocalLen {
		return errTooLong()
	}
	for i := 0; i < len(local); i++ {
		if !isAtext(local[i]) && local[i] != '.' {
			return quizflow.Invalid("email", "The part before the @ may use only ASCII letters, digits and . ! # $ %% & ' * + - / = ? ^ _ ` { | } ~.")
		}
	}
	if local == "" || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		// ParseAddress already refuses these; kept so the rule stands here.
		return errNotBare()
	}
	return nil
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// canonicalDomain returns the lower-case A-label form of domain.
func canonicalDomain(domain string) (string, error) {
	bad := quizflow.Invalid("email", "The part after the @ is not a valid domain name.")
	d, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return "", bad
	}
	d = lowerASCII(d)
	// The A-label form must be its own canonical form. It is not always:
	// x/net/idna decides whether the bidi rule applies before mapping, so
	// "ℶ.0" passes (U+2136 is left-to-right) while its mapping "ב.0", which
	// is right-to-left and breaks the rule, fails as "xn--5db.0".
	if again, err := idna.Lookup.ToASCII(d); err != nil || again != d {
		return "", bad
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", quizflow.Invalid("email", "The domain must contain a dot, as in name@example.com.")
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabelLen {
			return "", bad
		}
	}
	for i := 0; i < len(d); i++ {
		if d[i] >= utf8.RuneSelf {
			return "", bad // ToASCII never leaves these; be sure.
		}
	}
	return d, nil
}

// lowerASCII lower-cases the ASCII letters of s and leaves every other byte
// alone.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
