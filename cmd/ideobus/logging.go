package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"
)

type logOptions struct {
	level  string
	format string
}

func (o *logOptions) bind(fs *pflag.FlagSet) {
	fs.StringVar(&o.level, "log-level", envOr("IDEOBUS_LOG_LEVEL", "info"), "log level: debug, info, warn, error [$IDEOBUS_LOG_LEVEL]")
	fs.StringVar(&o.format, "log-format", envOr("IDEOBUS_LOG_FORMAT", "auto"), "log format: auto (text on a terminal, JSON otherwise), text, json [$IDEOBUS_LOG_FORMAT]")
}

// install makes slog.Default write structured logs to w.
func (o *logOptions) install(w io.Writer) error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.level)); err != nil {
		return usageErr(fmt.Errorf("IDEOBUS_LOG_LEVEL / --log-level: %q is not one of debug, info, warn, error", o.level))
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch strings.ToLower(o.format) {
	case "json":
		h = slog.NewJSONHandler(w, hopts)
	case "text":
		h = slog.NewTextHandler(w, hopts)
	case "auto", "":
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			h = slog.NewTextHandler(w, hopts)
		} else {
			h = slog.NewJSONHandler(w, hopts)
		}
	default:
		return usageErr(fmt.Errorf("IDEOBUS_LOG_FORMAT / --log-format: %q is not one of auto, text, json", o.format))
	}
	slog.SetDefault(slog.New(h))
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
