package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"

	"github.com/quizflow/quizflow/internal/quizflow"
)

const (
	issuer      = "quizflow"
	typeAccess  = "access"
	typeRefresh = "refresh"
)

// claims are the JWT claims of both token kinds. Type keeps a refresh token
// from being accepted as an access token even if the secrets were equal;
// Family names the login both belong to, so revoking it ends both.
type claims struct {
	Type   string `json:"typ"`
	Family string `json:"fam,omitempty"`
	jwt.RegisteredClaims
}

var errInvalidToken = quizflow.Errorf(quizflow.EUNAUTHORIZED, "The token is invalid or expired.")

// KeyID is the key ID ("kid" header) of the tokens signed with secret: the
// first 8 bytes, in hex, of the SHA-256 of a label and the secret. It names
// the secret without revealing it, so an operator can tell from a token
// (or the log) which secret signed it.
func KeyID(secret []byte) string {
	h := sha256.New()
	h.Write([]byte("quizflow jwt kid\x00"))
	h.Write(secret)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// keyring holds the secrets of one token kind: current signs and verifies,
// previous (optional) only verifies, during a rotation window.
type keyring struct {
	currentID string
	current   []byte
	// previousID is "" when there is no previous secret.
	previousID string
	previous   []byte
}

// newKeyring returns the keyring of current and an optional previous
// secret; name (e.g. "access") is for the error.
func newKeyring(name string, current, previous []byte) (keyring, error) {
	if len(current) == 0 {
		return keyring{}, fmt.Errorf("auth: the %s secret is required", name)
	}
	k := keyring{currentID: KeyID(current), current: current}
	if len(previous) > 0 {
		k.previousID, k.previous = KeyID(previous), previous
		if k.previousID == k.currentID {
			return keyring{}, fmt.Errorf("auth: the previous %s secret is the current one; drop it or set a new current secret", name)
		}
	}
	return k, nil
}

var errUnknownKey = errors.New("unknown key id")

// key is the jwt.Keyfunc of the ring: a token names its key by "kid"; a
// token without one was issued by a release before key IDs and is checked
// against the current secret only. An unknown kid, or one that is not a
// string, is refused.
func (k keyring) key(t *jwt.Token) (any, error) {
	raw, ok := t.Header["kid"]
	if !ok {
		return k.current, nil
	}
	kid, _ := raw.(string)
	switch {
	case kid == "":
		return nil, errUnknownKey
	case kid == k.currentID:
		return k.current, nil
	case kid == k.previousID && k.previousID != "":
		return k.previous, nil
	}
	return nil, errUnknownKey
}

// sign signs c with the ring's current secret and names it in "kid".
func (s *Service) sign(c claims, ring keyring) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = ring.currentID
	tok, err := t.SignedString(ring.current)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return tok, nil
}

// parse verifies a token: HS256 only (any other alg, including "none", is
// rejected before the signature is looked at), a key the ring knows, our
// issuer, an expiry in the future, and the expected type.
func (s *Service) parse(token string, ring keyring, typ string) (*claims, error) {
	if token == "" || len(token) > 4096 {
		return nil, errInvalidToken
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, ring.key,
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil || c.Type != typ || c.Subject == "" || c.ID == "" || c.Family == "" {
		return nil, errInvalidToken
	}
	return &c, nil
}
