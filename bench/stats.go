package main

import (
	"math"
	"slices"
	"time"
)

// Dist summarises durations, in microseconds.
type Dist struct {
	N    int     `json:"n"`
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func summarize(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	us := func(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)*10) / 10 }
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Dist{
		N:    len(s),
		Min:  us(s[0]),
		P50:  us(pct(s, 0.50)),
		P90:  us(pct(s, 0.90)),
		P99:  us(pct(s, 0.99)),
		Max:  us(s[len(s)-1]),
		Mean: us(sum / time.Duration(len(s))),
	}
}

// pct is the nearest-rank percentile of sorted s.
func pct(s []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
