package mail

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// Unsubscribe tokens let a link in a notification turn that kind of
// notification off without signing in (RFC 8058 one-click): the user and
// the kind, signed with HMAC-SHA256 under a server key. They do not
// expire; turning the kind back on is the way to undo one.

// maxTokenLen bounds tokens read from requests.
const maxTokenLen = 256

// ErrBadToken is returned for an unsubscribe token that is malformed or
// not signed with the key.
var ErrBadToken = errors.New("mail: bad unsubscribe token")

// UnsubscribeToken returns the token that turns off kind for userID.
func UnsubscribeToken(key []byte, userID, kind string) string {
	payload := userID + "." + kind
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(unsubscribeMAC(key, payload))
}

// ParseUnsubscribeToken checks token and returns its user and kind, or
// ErrBadToken.
func ParseUnsubscribeToken(key []byte, token string) (userID, kind string, err error) {
	if len(token) > maxTokenLen {
		return "", "", ErrBadToken
	}
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", "", ErrBadToken
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, unsubscribeMAC(key, string(payload))) {
		return "", "", ErrBadToken
	}
	userID, kind, ok = strings.Cut(string(payload), ".")
	if !ok || userID == "" || kind == "" {
		return "", "", ErrBadToken
	}
	return userID, kind, nil
}

func unsubscribeMAC(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("quizflow-unsubscribe\x00" + payload))
	return h.Sum(nil)
}
