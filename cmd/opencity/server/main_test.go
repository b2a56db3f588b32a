package server_test

import (
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }
