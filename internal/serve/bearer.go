package serve

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
)

// ValidBearer reports whether r carries "Authorization: Bearer token",
// compared in constant time. An empty token accepts every request.
func ValidBearer(r *http.Request, token string) bool {
	if token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// RequireBearer wraps h so that, when token is not empty, only requests
// with "Authorization: Bearer token" reach it; others get 401 with a
// WWW-Authenticate challenge naming realm. An empty token returns h.
func RequireBearer(realm, token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	challenge := "Bearer realm=" + strconv.Quote(realm)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ValidBearer(r, token) {
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, realm+" needs 'Authorization: Bearer <token>'", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
