package server

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/opencity/opencity/core/store"
)

// IntakeConfig is intake's group commit (store.Batching).
type IntakeConfig struct {
	// Batching nil: store.DefaultBatching.
	Batching *store.Batching
	Err      error // a malformed setting; the server refuses to start
}

// IntakeFromEnv reads OPENCITY_INTAKE_BATCH_WINDOW (a duration, 0 for no
// waiting; default store.DefaultBatching's 1ms) and
// OPENCITY_INTAKE_BATCH_MAX (requests per transaction, 1 turns batching
// off; default 64).
func IntakeFromEnv(getenv func(string) string) IntakeConfig {
	window, most := getenv("OPENCITY_INTAKE_BATCH_WINDOW"), getenv("OPENCITY_INTAKE_BATCH_MAX")
	if window == "" && most == "" {
		return IntakeConfig{}
	}
	b := store.DefaultBatching
	var errs []error
	if window != "" {
		d, err := time.ParseDuration(window)
		if err != nil || d < 0 || d > time.Second {
			errs = append(errs, fmt.Errorf("OPENCITY_INTAKE_BATCH_WINDOW %q: use a duration from 0 to 1s, such as 2ms", window))
		}
		b.Window = d
	}
	if most != "" {
		n, err := strconv.Atoi(most)
		if err != nil || n < 1 || n > 1000 {
			errs = append(errs, fmt.Errorf("OPENCITY_INTAKE_BATCH_MAX %q: use a number from 1 (no batching) to 1000", most))
		}
		b.Max = n
	}
	return IntakeConfig{Batching: &b, Err: errors.Join(errs...)}
}
