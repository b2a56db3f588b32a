package pages_test

import (
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
)

// TestMain silences the request logs; warnings and errors stay.
func TestMain(m *testing.M) { servertest.Main(m) }
