// Command floor is the bench's reference point: the smallest hand-written
// MCP server over stdio that does what alfe-mcp's list_integrations does (GET
// /agent/integrations with a bearer key on a keep-alive client, unwrap
// {"data": ...}, respond with structuredContent plus the same JSON as text). It
// parses each message once and each upstream response once, and logs nothing.
// Its figures on the same machine are what "as little as a hand-written
// server" means. Not a product: no validation, one tool.
//
//	floor [stdio] --api-url http://127.0.0.1:PORT
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Name            string `json:"name"`
		ProtocolVersion string `json:"protocolVersion"`
	} `json:"params"`
}

type server struct {
	url string
	key string
	hc  *http.Client
	wmu sync.Mutex
	out *bufio.Writer
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "stdio" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	apiURL := fs.String("api-url", "http://127.0.0.1:1", "upstream API root")
	fs.Parse(args) //nolint:errcheck // ExitOnError
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	s := &server{url: *apiURL + "/agent/integrations", key: os.Getenv("ALFE_API_KEY"),
		hc: &http.Client{Transport: t}, out: bufio.NewWriterSize(os.Stdout, 64<<10)}
	in := bufio.NewReaderSize(os.Stdin, 64<<10)
	var wg sync.WaitGroup
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var m message
			if json.Unmarshal(line, &m) == nil && m.ID != nil {
				if m.Method == "tools/call" {
					wg.Go(func() { s.write(s.call(m)) })
				} else {
					s.write(s.respond(m))
				}
			}
		}
		if err != nil {
			break
		}
	}
	wg.Wait()
}

func (s *server) write(b []byte) {
	s.wmu.Lock()
	s.out.Write(b) //nolint:errcheck
	s.out.Flush()  //nolint:errcheck
	s.wmu.Unlock()
}

func reply(id json.RawMessage, result string) []byte {
	return []byte(`{"jsonrpc":"2.0","id":` + string(id) + `,"result":` + result + "}\n")
}

func (s *server) respond(m message) []byte {
	switch m.Method {
	case "initialize":
		v := m.Params.ProtocolVersion
		if v == "" {
			v = "2025-11-25"
		}
		return reply(m.ID, `{"protocolVersion":"`+v+`","capabilities":{"tools":{}},"serverInfo":{"name":"floor","version":"0"}}`)
	case "tools/list":
		return reply(m.ID, `{"tools":[{"name":"list_integrations","inputSchema":{"type":"object","properties":{}}}]}`)
	case "ping":
		return reply(m.ID, `{}`)
	}
	return []byte(`{"jsonrpc":"2.0","id":` + string(m.ID) + `,"error":{"code":-32601,"message":"method not found"}}` + "\n")
}

func (s *server) call(m message) []byte {
	if m.Params.Name != "list_integrations" {
		return reply(m.ID, `{"content":[{"type":"text","text":"unknown tool"}],"isError":true}`)
	}
	data, err := s.list()
	if err != nil {
		msg, _ := json.Marshal(err.Error())
		return reply(m.ID, `{"content":[{"type":"text","text":`+string(msg)+`}],"isError":true}`)
	}
	structured := append(append([]byte(`{"integrations":`), data...), '}')
	text, _ := json.Marshal(string(structured))
	b := make([]byte, 0, 2*len(text)+96)
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, m.ID...)
	b = append(b, `,"result":{"content":[{"type":"text","text":`...)
	b = append(b, text...)
	b = append(b, `}],"structuredContent":`...)
	b = append(b, structured...)
	return append(b, "}}\n"...)
}

func (s *server) list() (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header["Authorization"] = []string{"Bearer " + s.key}
	req.Header["Accept"] = []string{"application/json"}
	req.Header["User-Agent"] = []string{"alfe-floor/0"}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("upstream: %s", resp.Status)
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Data) == 0 || env.Data[0] != '[' {
		return nil, fmt.Errorf("upstream: not a {\"data\": [...]} response")
	}
	return env.Data, nil
}
