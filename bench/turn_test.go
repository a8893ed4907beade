package main

import "testing"

// TestTurn: every round calls each of n once; over rounds each starts as
// often and follows each of its two neighbours as often.
func TestTurn(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5} {
		rounds := 20 * n // a multiple of 2n
		first := map[int]int{}
		after := map[[2]int]int{}
		for r := range rounds {
			seen := map[int]bool{}
			prev := -1
			for j := range n {
				k := turn(r, j, n)
				if k < 0 || k >= n || seen[k] {
					t.Fatalf("n=%d round %d: index %d out of range or twice", n, r, k)
				}
				seen[k] = true
				if j == 0 {
					first[k]++
				} else {
					after[[2]int{prev, k}]++
				}
				prev = k
			}
		}
		for k := range n {
			if first[k] != rounds/n {
				t.Errorf("n=%d: %d first in %d rounds, want %d", n, k, first[k], rounds/n)
			}
		}
		if n >= 3 {
			for pair, c := range after {
				if back := after[[2]int{pair[1], pair[0]}]; back != c {
					t.Errorf("n=%d: %d after %d %d times, %d after %d %d times", n, pair[1], pair[0], c, pair[0], pair[1], back)
				}
			}
		}
	}
}
