package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
)

// chromiumPath is Debian's chromium package, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// browserLimit bounds the whole browser test, the browser's start included.
const browserLimit = 60 * time.Second

// TestConsentInBrowser opens the URL of get_oauth_url in headless Chromium,
// checks that the page names the provider and the scopes, clicks Approve and
// sees get_oauth_status report the account connected. Screenshots go to
// t.TempDir(), and also to $ALFE_E2E_SCREENSHOTS when it names a directory.
func TestConsentInBrowser(t *testing.T) {
	browser := startBrowser(t)
	shots := t.TempDir()

	forEachEra(t, func(t *testing.T, e era) {
		st := newStack(t, sandbox.Options{})
		c := st.connect(t, e)
		ok[installRecord](t, "install_integration", call(t, c, "install_integration", map[string]any{"integrationId": "slack"}))
		consent := st.getOAuthURL(t, c, "slack")

		tab, closeTab := chromedp.NewContext(browser)
		defer closeTab()
		run := func(what string, a chromedp.Action[string]) string {
			t.Helper()
			v, err := chromedp.Run(tab, a)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return v
		}
		shoot := func(name string) {
			t.Helper()
			b, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width == 0 || cfg.Height == 0 {
				t.Fatalf("screenshot %s is not a PNG image (%v)", name, err)
			}
			saveScreenshot(t, shots, e.Name+"-"+name+".png", b)
		}

		// The consent page.
		resp, err := chromedp.RunResponse(tab, chromedp.Navigate(consent))
		if err != nil {
			t.Fatalf("open the consent URL: %v", err)
		}
		if resp.Status != 200 {
			t.Fatalf("consent page: HTTP %d", resp.Status)
		}
		if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("deny"))); err != nil {
			t.Fatalf("consent page: no Approve and Deny buttons: %v", err)
		}
		if title := run("title", chromedp.Title()); !strings.Contains(title, "Slack") {
			t.Errorf("consent page title %q does not name Slack", title)
		}
		if provider := run("provider", chromedp.Text(chromedp.ID("provider"))); provider != "Slack" {
			t.Errorf("consent page names the provider %q, want Slack", provider)
		}
		scopes := run("scopes", chromedp.Text(chromedp.ID("scopes")))
		for _, s := range slackScopes {
			if !strings.Contains(scopes, s) {
				t.Errorf("consent page does not show the scope %q; it shows: %q", s, scopes)
			}
		}
		shoot("consent")
		if oauthStatus(t, c, "slack").Connected {
			t.Fatal("connected before Approve was clicked")
		}

		// Approve.
		resp, err = chromedp.RunResponse(tab, chromedp.Click(chromedp.ID("approve")))
		if err != nil {
			t.Fatalf("click Approve: %v", err)
		}
		if resp.Status != 200 {
			t.Errorf("approve: HTTP %d", resp.Status)
		}
		if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.ID("result"))); err != nil {
			t.Fatalf("no #result after Approve: %v", err)
		}
		if result := run("result", chromedp.Text(chromedp.ID("result"))); result != "Connected" {
			t.Errorf("#result reads %q, want Connected", result)
		}
		shoot("result")

		// The assistant's view.
		got := ok[oauthStatusOut](t, "get_oauth_status", call(t, c, "get_oauth_status", map[string]any{"provider": "slack", "waitSeconds": 5}))
		if !got.Connected {
			t.Errorf("get_oauth_status after Approve in the browser: %s, want connected", describe(got))
		}
		if s := statusOf(t, c, "slack"); s != "active" {
			t.Errorf("list_integrations: slack is %q after Approve, want active", s)
		}
	})
}

// saveScreenshot writes a screenshot into dir, and a copy into
// $ALFE_E2E_SCREENSHOTS when it is set, for a person to look at.
func saveScreenshot(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	if keep := os.Getenv("ALFE_E2E_SCREENSHOTS"); keep != "" {
		if err := os.WriteFile(filepath.Join(keep, name), b, 0o644); err != nil {
			t.Errorf("copy screenshot to $ALFE_E2E_SCREENSHOTS: %v", err)
		} else {
			t.Logf("screenshot: %s", filepath.Join(keep, name))
		}
	}
}

// startBrowser starts headless Chromium for the test, and stops it when
// the test ends; it skips the test where Chromium is not installed, except
// on CI, which must run it.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the browser test needs %s (%v); CI must run it: .ci/run installs Debian's chromium package", chromiumPath, err)
		}
		t.Skipf("skipping the browser test: %v (install Debian's chromium package to run it)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserLimit)
	t.Cleanup(cancel)

	profile := t.TempDir() // created before the browser starts, so removed after it stops
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(800, 720),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc) // stops the browser and waits for it
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser gracefully, so that it stops its child
		// processes before the profile directory is removed.
		if err := chromedp.Cancel(browser); err != nil {
			t.Logf("close %s: %v", chromiumPath, err)
		}
		cancelBrowser()
	})
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return browser
}

// TestConsentShownByTheHostInBrowser is TestConsentShownByTheHost with the
// person in headless Chromium: the host opens the consent page it was asked
// to show in a tab, and the person clicks Approve.
func TestConsentShownByTheHostInBrowser(t *testing.T) {
	browser := startBrowser(t)
	runConsentShownByTheHost(t, func(_ context.Context, consentURL string) error {
		tab, closeTab := chromedp.NewContext(browser)
		defer closeTab()
		resp, err := chromedp.RunResponse(tab, chromedp.Navigate(consentURL))
		if err != nil {
			return fmt.Errorf("open the consent page: %w", err)
		}
		if resp.Status != 200 {
			return fmt.Errorf("consent page: HTTP %d", resp.Status)
		}
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.ID("approve"))); err != nil {
			return fmt.Errorf("click Approve: %w", err)
		}
		result, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("result")))
		if err != nil {
			return fmt.Errorf("no #result after Approve: %w", err)
		}
		if result != "Connected" {
			return fmt.Errorf("#result reads %q, want Connected", result)
		}
		return nil
	})
}
