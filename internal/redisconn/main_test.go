package redisconn_test

import (
	"testing"

	"github.com/quizflow/quizflow/internal/testenv"
)

// TestMain stops testenv's shared services after the tests, and lets the
// failover test's workers start their extraction sandboxes.
func TestMain(m *testing.M) { testenv.Main(m) }
