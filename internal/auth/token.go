package auth

import (
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

func (s *Service) sign(c claims, secret []byte) (string, error) {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return tok, nil
}

// parse verifies a token: HS256 only (any other alg, including "none", is
// rejected before the signature is looked at), our issuer, an expiry in the
// future, and the expected type.
func (s *Service) parse(token string, secret []byte, typ string) (*claims, error) {
	if token == "" || len(token) > 4096 {
		return nil, errInvalidToken
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return secret, nil },
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
