package main

import (
	"github.com/spf13/cobra"

	"github.com/ideobus/ideobus/messages"
)

func newWatchCmd() *cobra.Command {
	var (
		cfg        config
		asJSON     bool
		fromOldest bool
		types      []string
		batch      string
		labels     map[string]string
	)
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Follow the outcome topics and print each completed or failed event",
		Long: `watch follows ideogram.generation.completed and ideogram.generation.failed
and prints every outcome as it arrives, until interrupted. It reads without a
consumer group, so it never takes messages from other consumers.`,
		Example: `  ideobus watch
  ideobus watch --json --from-beginning | jq .data.request_id
  ideobus watch --type failed --batch campaign-7
  ideobus watch --label team=growth --label channel=instagram`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := connect(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			sub, err := st.subscriber("", fromOldest)
			if err != nil {
				return err
			}
			outcomes, err := subscribeOutcomes(cmd.Context(), sub, st.topics)
			if err != nil {
				return err
			}
			for o := range outcomes {
				if !matchesType(o, types) || (batch != "" && batchOf(o) != batch) || !matchesLabels(o, labels) {
					continue
				}
				if err := o.print(cmd.OutOrStdout(), asJSON); err != nil {
					return runtimeErr(err)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	bindConfig(f, &cfg, forClient)
	f.BoolVar(&asJSON, "json", false, "print each outcome as one CloudEvents structured JSON line")
	f.BoolVar(&fromOldest, "from-beginning", false, "start from the oldest retained outcome instead of new ones")
	f.StringSliceVar(&types, "type", nil, "only these outcomes: completed, failed")
	f.StringVar(&batch, "batch", "", "only outcomes of this batch ID")
	f.StringToStringVar(&labels, "label", nil, "only outcomes whose request carried these labels, key=value (repeatable)")
	return cmd
}

func matchesType(o outcome, types []string) bool {
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		if (t == "completed" || t == messages.TypeCompleted) && o.completed != nil {
			return true
		}
		if (t == "failed" || t == messages.TypeFailed) && o.failed != nil {
			return true
		}
	}
	return false
}

func batchOf(o outcome) string {
	if o.completed != nil {
		return o.completed.BatchID
	}
	return o.failed.BatchID
}

func matchesLabels(o outcome, want map[string]string) bool {
	have := map[string]string(nil)
	if o.completed != nil {
		have = o.completed.Labels
	} else {
		have = o.failed.Labels
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
