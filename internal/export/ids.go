package export

import (
	"crypto/sha256"
	"encoding/hex"
)

// hashHex returns 32 hex digits of the SHA-256 of s.
func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
