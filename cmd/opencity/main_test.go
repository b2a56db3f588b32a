package main

import (
	"os"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
)

// asOpencity, set to 1 in the environment, makes the test binary run as
// opencity itself: bench run starts its server as a process of its own
// executable, which in a test is the test binary.
const asOpencity = "OPENCITY_TEST_AS_OPENCITY"

// TestMain silences the request logs; warnings and errors stay.
func TestMain(m *testing.M) {
	if os.Getenv(asOpencity) == "1" {
		main()
		os.Exit(0)
	}
	servertest.Main(m)
}
