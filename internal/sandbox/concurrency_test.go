package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// TestConcurrentRequests hammers one handler from many goroutines; run with -race.
func TestConcurrentRequests(t *testing.T) {
	c := newTestServer(t, Options{})
	ids := []string{"github", "slack", "stripe", "sync", "notion", "teams", "microsoft"}
	const workers, rounds = 16, 25

	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*8)
	check := func(r resp, allowed ...int) {
		for _, s := range allowed {
			if r.status == s {
				return
			}
		}
		errs <- fmt.Errorf("unexpected status %d: %s", r.status, r.body)
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				id := ids[(w+i)%len(ids)]
				check(c.do(http.MethodPost, "/agent/integrations", map[string]any{"integrationId": id, "config": map[string]any{"api_key": fmt.Sprintf("key-%d-%d", w, i)}}), 201, 409)
				check(c.do(http.MethodPatch, "/agent/integrations/"+id, map[string]any{"config": map[string]any{"n": i, "api_key": nil}}), 200, 404)
				check(c.do(http.MethodGet, "/agent/integrations/"+id+"/config", nil), 200, 404)
				check(c.do(http.MethodGet, "/agent/integrations", nil), 200)
				check(c.do(http.MethodGet, "/integrations/registry", nil), 200)
				check(c.do(http.MethodGet, "/agent/integrations/oauth/status?provider=microsoft", nil), 200)
				if i%5 == 0 {
					r := c.do(http.MethodGet, "/agent/integrations/oauth/url?provider=microsoft", nil)
					check(r, 200)
					var d struct{ Data struct{ URL string } }
					if err := json.Unmarshal(r.body, &d); err != nil {
						errs <- err
						continue
					}
					u, err := url.Parse(d.Data.URL)
					if err != nil {
						errs <- err
						continue
					}
					state := u.Query().Get("state")
					check(c.getPage(d.Data.URL), 200)
					check(c.decide(state, []string{"approve", "deny"}[w%2]), 200)
				}
				if i%3 == 0 {
					check(c.do(http.MethodDelete, "/agent/integrations/"+id, nil), 204, 404)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
