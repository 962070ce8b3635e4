//! The HTML pages in headless Chromium: each page loads from `hallbox
//! serve` on 127.0.0.1, and the checks read what the browser renders
//! (text, computed styles, layout width, print media) through the DevTools
//! protocol.
//!
//! Chromium is Debian's `chromium` package, which `.ci/run` installs.
//! Where it is missing the tests print that they were skipped, except
//! under CI, where a missing browser fails them.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// Browser binaries to try, in order.
const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// A headless Chromium with one page, driven over the DevTools protocol.
struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

fn find_browser() -> Option<&'static str> {
    for name in BROWSERS {
        let found = Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if found {
            return Some(name);
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("no Chromium found ({BROWSERS:?}); .ci/run installs Debian's chromium");
    }
    eprintln!("skipped: no Chromium found (install Debian's chromium package)");
    None
}

/// A plain HTTP GET on 127.0.0.1, for the DevTools target list. The
/// DevTools server keeps the connection open, so the body is read by its
/// Content-Length.
fn http_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

impl Browser {
    /// Starts Chromium on `url`, or returns `None` where it is missing.
    fn open(url: &str) -> Option<Browser> {
        let binary = find_browser()?;
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("failed to start Chromium");

        // Chromium prints "DevTools listening on ws://127.0.0.1:PORT/..."
        // on stderr once the protocol is up.
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("DevTools listening on ws://127.0.0.1:") {
                    let port = rest.split('/').next().unwrap_or_default().to_string();
                    let _ = sender.send(port);
                }
            }
        });
        let port: u16 = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("Chromium did not open DevTools within 30 s")
            .parse()
            .unwrap();

        let targets: Value = serde_json::from_str(&http_get(port, "/json/list")).unwrap();
        let page = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|target| target["type"] == "page")
            .expect("a page target");
        let socket_url = page["webSocketDebuggerUrl"].as_str().unwrap();
        let (socket, _) = tungstenite::connect(socket_url).expect("DevTools socket");
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
        }
        let mut browser = Browser {
            child,
            socket,
            next_id: 1,
            _profile: profile,
        };
        browser.wait_loaded();
        Some(browser)
    }

    /// Sends one protocol command and returns its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(request.to_string()))
            .unwrap();
        loop {
            let message = self.socket.read().expect("DevTools message");
            let Message::Text(text) = message else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str()).unwrap();
            if reply["id"] == id {
                if let Some(error) = reply.get("error") {
                    panic!("{method} failed: {error}");
                }
                return reply["result"].clone();
            }
        }
    }

    /// Evaluates `expression` in the page and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("{expression} threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Waits until a document from the server, not the blank start page,
    /// has loaded.
    fn wait_loaded(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let loaded = "location.protocol === 'http:' && document.readyState === 'complete'";
        while self.eval(loaded) != true {
            assert!(Instant::now() < deadline, "page did not load within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens `url` and waits until the browser shows a new document at
    /// `path`, where the server redirects it to.
    fn navigate_to_path(&mut self, url: &str, path: &str) {
        let before = self.eval("location.href");
        self.call("Page.navigate", json!({ "url": url }));
        let deadline = Instant::now() + Duration::from_secs(20);
        let arrived = format!(
            "location.href !== {before} && location.pathname === {}",
            json!(path)
        );
        while self.try_eval(&arrived) != Some(Value::Bool(true)) {
            assert!(Instant::now() < deadline, "{url} did not lead to {path}");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.wait_loaded();
    }

    fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }));
        // Navigation starts asynchronously: wait for the new document.
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.eval("location.href") != url {
            assert!(Instant::now() < deadline, "did not navigate to {url}");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.wait_loaded();
    }

    /// Signs in on the login page the browser shows: types `token` and
    /// submits, then waits for the page the login form returns to.
    fn login(&mut self, token: &str) {
        assert_eq!(self.eval("location.pathname"), "/ui/login");
        assert_eq!(self.eval("document.title"), "登录");
        let submit = format!(
            "document.querySelector('#token').value = '{token}'; \
             document.querySelector('form').submit(); true"
        );
        self.eval(&submit);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            assert!(
                Instant::now() < deadline,
                "no page after the login within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
            // While the next document loads, evaluation may fail: try again.
            let reply = self.try_eval(
                "location.pathname !== '/ui/login' && document.readyState === 'complete'",
            );
            if reply == Some(Value::Bool(true)) {
                break;
            }
        }
    }

    /// Evaluates `expression`, or returns `None` when the page is between
    /// two documents and cannot evaluate it.
    fn try_eval(&mut self, expression: &str) -> Option<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let params = json!({ "expression": expression, "returnByValue": true });
        let request = json!({ "id": id, "method": "Runtime.evaluate", "params": params });
        self.socket
            .send(Message::text(request.to_string()))
            .unwrap();
        loop {
            let message = self.socket.read().expect("DevTools message");
            let Message::Text(text) = message else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str()).unwrap();
            if reply["id"] == id {
                let result = reply.get("result")?;
                if result.get("exceptionDetails").is_some() {
                    return None;
                }
                return Some(result["result"]["value"].clone());
            }
        }
    }

    /// Emulates a phone of 390 × 844 CSS pixels and reloads.
    fn phone(&mut self) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
        );
        let url = self.eval("location.href");
        self.navigate(url.as_str().unwrap());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// JavaScript that returns the cells' text of every row of `selector`.
fn rows_of(selector: &str) -> String {
    format!(
        "[...document.querySelectorAll('{selector} tr')].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
}

fn text_rows(value: &Value) -> Vec<Vec<String>> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|cell| cell.as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

fn number(value: &Value) -> String {
    let n = value.as_f64().unwrap();
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_page_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let server = support::Server::start(&config);
    let report: Value = support::get_as(
        "hr-1",
        &server.url("/api/v1/attendance/monthly?month=2026-11"),
    )
    .await
    .json()
    .await
    .unwrap();

    let url = server.url("/ui/attendance?month=2026-11");
    let checks = tokio::task::spawn_blocking(move || {
        let Some(mut browser) = Browser::open(&url) else {
            return;
        };
        // Without a sign-in the page sends the browser to the login form,
        // which returns to it.
        browser.login(support::token("hr-1"));
        assert_eq!(browser.eval("location.href"), url);

        // The heading and the tab title a person sees.
        assert_eq!(
            browser.eval("document.title"),
            "2026年11月 考勤月报 - 某县政务服务中心 东大厅"
        );
        assert_eq!(browser.eval("document.querySelector('h2').innerText"), "2026年11月 考勤月报");
        // Nothing was loaded besides the page itself: the box is offline.
        assert_eq!(browser.eval("performance.getEntriesByType('resource').map(e => e.name)"), json!([]));

        // The summary table: a header, one row per person, then 合计.
        let rows = text_rows(&browser.eval(&rows_of("table.summary")));
        let people = report["people"].as_array().unwrap();
        assert_eq!(rows.len(), 1 + people.len() + 1);
        assert_eq!(rows[0][..6], ["人员编号", "姓名", "窗口单位", "迟到", "早退", "缺卡"]);
        let mut late_sum = 0.0;
        for (person, row) in people.iter().zip(&rows[1..]) {
            let totals = &person["totals"];
            assert_eq!(row[0], person["id"].as_str().unwrap());
            assert_eq!(row[1], person["name"].as_str().unwrap());
            assert_eq!(row[3], number(&totals["late"]), "late of {}", row[0]);
            assert_eq!(row[4], number(&totals["early"]), "early of {}", row[0]);
            assert_eq!(row[5], number(&totals["missing_punches"]), "missing of {}", row[0]);
            assert_eq!(row[6], number(&totals["absent_days"]), "absent of {}", row[0]);
            assert_eq!(row[9], number(&totals["attendance_score"]), "score of {}", row[0]);
            late_sum += totals["late"].as_f64().unwrap();
        }
        let total = rows.last().unwrap();
        assert_eq!(total[0], "合计");
        assert_eq!(total[1], format!("{} 人", people.len()));
        assert_eq!(total[3], number(&json!(late_sum)));

        // Late counts are on a light orange background.
        let late_background = browser.eval(
            "getComputedStyle(document.querySelector('table.summary td.late')).backgroundColor",
        );
        assert_eq!(late_background, "rgb(255, 241, 194)");

        // A person's days fold out on a click.
        let first_days = "document.querySelector('details')";
        let table_visible = format!("{first_days}.querySelector('table').checkVisibility()");
        assert_eq!(browser.eval(&table_visible), false);
        browser.eval(&format!("{first_days}.querySelector('summary').click()"));
        assert_eq!(browser.eval(&table_visible), true);
        let days = text_rows(&browser.eval(&format!(
            "[...{first_days}.querySelectorAll('tr')].map(r => [...r.cells].map(c => c.innerText.trim()))"
        )));
        let working_days = report["working_days"].as_array().unwrap().len();
        assert_eq!(days.len(), 1 + working_days);
        assert_eq!(days[0][0], "日期");
        assert_eq!(days[1][0], "11-02", "the first working day of November 2026");

        // On a phone the page never scrolls sideways; the wide table
        // scrolls inside its own box.
        browser.phone();
        assert_eq!(browser.eval("window.innerWidth"), 390);
        assert_eq!(
            browser.eval("document.documentElement.scrollWidth <= window.innerWidth"),
            true
        );
        assert_eq!(
            browser.eval(
                "(() => { const box = document.querySelector('.scroll'); return box.scrollWidth > box.clientWidth; })()"
            ),
            true
        );

        // Printed: no navigation, forms or buttons; the table stays.
        browser.call("Emulation.setEmulatedMedia", json!({ "media": "print" }));
        for hidden in ["nav", "form.month", ".actions", "h2.no-print"] {
            assert_eq!(
                browser.eval(&format!("getComputedStyle(document.querySelector('{hidden}')).display")),
                "none",
                "{hidden} when printed"
            );
        }
        assert_eq!(
            browser.eval("getComputedStyle(document.querySelector('table.summary')).display"),
            "table"
        );
        // The colour key is printed with the sheet, in its colours.
        assert_eq!(
            browser.eval("getComputedStyle(document.querySelector('.legend')).display"),
            "block"
        );
        assert_eq!(
            browser.eval("document.querySelector('.legend').innerText"),
            "颜色说明：迟到/早退缺卡/旷工；或本年累计旷工已达退回原单位的次数"
        );
        assert_eq!(
            browser.eval("getComputedStyle(document.querySelector('.legend .late')).backgroundColor"),
            browser.eval("getComputedStyle(document.querySelector('table.summary td.late')).backgroundColor")
        );
        let pdf = browser.call("Page.printToPDF", json!({ "landscape": true }));
        let data = pdf["data"].as_str().unwrap();
        assert!(data.starts_with("JVBERi0"), "a PDF starts with %PDF-");
    })
    .await;
    if let Err(error) = checks {
        std::panic::resume_unwind(error.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_and_error_pages_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let server = support::Server::start(&config);

    // The root leads to the device status page.
    let root = server.url("/");
    let devices_url = server.url("/ui/devices");
    let bad_month = server.url("/ui/attendance?month=2026-13");
    let status = support::get_as("hr-1", &bad_month).await.status();
    assert_eq!(status, 400);

    let checks = tokio::task::spawn_blocking(move || {
        let Some(mut browser) = Browser::open(&root) else {
            return;
        };
        // A wrong token stays on the form with a message.
        browser.eval(
            "document.querySelector('#token').value = 'hbx_wrong'; \
             document.querySelector('form').submit(); true",
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while browser.try_eval("document.querySelector('#message') !== null") != Some(json!(true)) {
            assert!(Instant::now() < deadline, "no message for a wrong token");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(
            browser.eval("document.querySelector('#message').innerText"),
            "令牌无效：请检查是否完整粘贴，或请安装人员重新发放。"
        );
        browser.login(support::token("central-1"));
        assert_eq!(browser.eval("location.href"), devices_url);
        assert_eq!(browser.eval("document.title"), "设备状态");
        assert_eq!(
            browser.eval("document.querySelector('#summary').innerText"),
            "未配置设备。考勤数据通过导入 U 盘文件录入。"
        );
        assert_eq!(
            browser.eval("document.querySelector('#journal').innerText"),
            "数据写入正常"
        );
        assert_eq!(
            browser.eval("getComputedStyle(document.querySelector('#journal')).backgroundColor"),
            "rgb(218, 251, 225)"
        );
        assert_eq!(
            browser.eval("document.querySelector('meta[http-equiv=refresh]').content"),
            "30"
        );

        browser.navigate(&bad_month);
        assert_eq!(
            browser.eval("document.querySelector('.banner').innerText"),
            "月份“2026-13”格式不对，请按“年-月”填写，例如 2026-11。"
        );
    })
    .await;
    if let Err(error) = checks {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Uploads one ATTLOG punch, ten minutes older than the box's local time
/// (UTC+8), to the ADMS listener at `port` as clock `serial`.
fn upload_old_punch(port: u16, serial: &str) {
    let local =
        chrono::Utc::now().naive_utc() + chrono::Duration::hours(8) - chrono::Duration::minutes(10);
    let body = format!("1001\t{}\t0\t15\t0\t0\n", local.format("%Y-%m-%d %H:%M:%S"));
    let request = format!(
        "POST /iclock/cdata?SN={serial}&table=ATTLOG&Stamp=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the ADMS port");
    stream
        .write_all(request.as_bytes())
        .expect("send the upload");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read the reply");
    assert!(reply.ends_with("OK: 1"), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_time_banner_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    // The demo's [adms] section has no clock; this adds one.
    let mut text = std::fs::read_to_string(&config).unwrap().replace(
        "listen = \"127.0.0.1:8081\"",
        &format!("listen = \"127.0.0.1:{port}\""),
    );
    text.push_str("\n[[adms.clock]]\nid = \"face-1\"\nserial_number = \"CKJ4213600282\"\n");
    std::fs::write(&config, text).unwrap();
    let server = support::Server::start(&config);
    upload_old_punch(port, "CKJ4213600282");
    let root = server.url("/");

    let checks = tokio::task::spawn_blocking(move || {
        let Some(mut browser) = Browser::open(&root) else {
            return;
        };
        browser.login(support::token("hr-1"));
        // 600 s, or 601 s when a second began between writing the punch
        // and sending it.
        let banner = browser.eval("document.querySelector('#clock-time').innerText");
        let banner = banner.as_str().unwrap();
        assert!(
            banner.starts_with("考勤机时间与主机相差超过上限：face-1（慢 10 分"),
            "{banner}"
        );
        assert!(
            banner.ends_with(
                "可能是考勤机时间不准，也可能是断网后补传的旧记录；请核对考勤机上的时间。"
            ),
            "{banner}"
        );
        // The same red as a device lost too long.
        assert_eq!(
            browser.eval("getComputedStyle(document.querySelector('#clock-time')).backgroundColor"),
            browser.eval("getComputedStyle(document.querySelector('td.missing')).backgroundColor")
        );
        let rows = text_rows(&browser.eval(&rows_of("#devices")));
        assert_eq!(rows[0].last().map(String::as_str), Some("时间偏差"));
        assert_eq!(rows[1][0], "face-1");
        let cell = rows[1].last().unwrap();
        assert!(cell.starts_with("慢 10 分"), "{cell}");
        assert!(cell.contains("（上限 2 分钟，"), "{cell}");
        assert!(cell.ends_with(" 上传）"), "{cell}");

        // On a phone the page never scrolls sideways.
        browser.phone();
        assert_eq!(
            browser.eval("document.documentElement.scrollWidth <= window.innerWidth"),
            true
        );
    })
    .await;
    if let Err(error) = checks {
        std::panic::resume_unwind(error.into_panic());
    }
}

mod ops_support;
mod ratings_common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_page_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let config = ops_support::ratings_hall(dir.path());
    let chief = support::TOKENS
        .iter()
        .find(|t| t.id == "chief-hrss")
        .expect("test token chief-hrss");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&support::token_section(std::slice::from_ref(chief)));
    std::fs::write(&config, text).unwrap();
    let server = support::Server::start(&config);
    let url = server.url("/ui/ratings?month=2026-11");
    let logout = server.url("/ui/logout");

    let checks = tokio::task::spawn_blocking(move || {
        let Some(mut browser) = Browser::open(&url) else {
            return;
        };
        browser.login(ratings_common::BUREAU_TOKEN);
        assert_eq!(
            browser.eval("document.title"),
            "2026年11月 评价月报 - 测试县政务服务中心"
        );
        assert_eq!(
            browser.eval("document.querySelector('#hall').innerText"),
            "全厅按键 9 次 · 有效评价 8 条 · 满意率 62.50% · 不满意评价 3 条"
        );
        assert_eq!(browser.eval("performance.getEntriesByType('resource').map(e => e.name)"), json!([]));

        // Windows in configuration order, then the hall's 合计 row.
        let rows = text_rows(&browser.eval(&rows_of("table#windows")));
        assert_eq!(rows.len(), 1 + 3 + 1);
        assert_eq!(
            rows[0],
            [
                "窗口", "名称", "窗口单位", "有效评价", "非常满意", "满意", "基本满意", "不满意",
                "非常不满意", "满意率", "重复按键", "扣分", "得分", "可评优秀",
            ]
        );
        assert_eq!(
            rows[1],
            ["W01", "1号窗口", "县税务局", "4", "1", "1", "0", "1", "1", "50.00%", "1", "6", "9", "否"]
        );
        assert_eq!(
            rows[2],
            ["W02", "2号窗口", "县税务局", "2", "0", "2", "0", "0", "0", "100.00%", "0", "0", "15", "是"]
        );
        assert_eq!(
            rows[4],
            ["合计", "3 个窗口", "", "8", "1", "3", "1", "2", "1", "62.50%", "1", "", "", ""]
        );

        // What needs a look is red: W01's unsatisfied counts and its 否.
        let red = browser.eval(
            "[...document.querySelectorAll('table#windows tbody tr')[0].cells].filter(c => getComputedStyle(c).backgroundColor === 'rgb(255, 215, 213)').map(c => c.innerText)",
        );
        assert_eq!(red, json!(["1", "1", "否"]));

        // People on duty: S002 at W01, S003 at W02, S004 at W03.
        let people = text_rows(&browser.eval(&rows_of("table#people")));
        let names: Vec<&str> = people[1..].iter().map(|row| row[1].as_str()).collect();
        assert_eq!(names, ["韩丽", "才让卓玛", "李振华"]);

        // The two presses flagged for a check.
        let patterns = text_rows(&browser.eval(&rows_of("table#patterns")));
        assert_eq!(patterns.len(), 1 + 2);
        let kinds: Vec<&str> = patterns[1..].iter().map(|row| row[0].as_str()).collect();
        assert!(kinds.contains(&"非工作日按键"), "{kinds:?}");
        assert!(kinds.contains(&"非工作时间按键"), "{kinds:?}");

        // The navigation marks this page, and printing leaves it out.
        assert_eq!(
            browser.eval("document.querySelector('nav a[aria-current=page]').innerText"),
            "评价月报"
        );
        browser.call("Emulation.setEmulatedMedia", json!({ "media": "print" }));
        assert_eq!(
            browser.eval("getComputedStyle(document.querySelector('nav')).display"),
            "none"
        );

        browser.phone();
        assert_eq!(
            browser.eval("document.documentElement.scrollWidth <= window.innerWidth"),
            true
        );

        // The chief of hrss gets W03 and S004 only, with the hall's line
        // for comparison, and none of the patterns, which are at W02.
        browser.navigate_to_path(&logout, "/ui/login");
        browser.navigate_to_path(&url, "/ui/login");
        browser.login(chief.token);
        assert_eq!(
            browser.eval("document.querySelector('#scope').innerText"),
            "本页只列出县人社局的窗口、人员和评价；全厅数字供对比。"
        );
        assert_eq!(
            browser.eval("document.querySelector('#hall').innerText"),
            "全厅按键 9 次 · 有效评价 8 条 · 满意率 62.50% · 不满意评价 3 条"
        );
        let rows = text_rows(&browser.eval(&rows_of("table#windows")));
        assert_eq!(rows.len(), 1 + 1 + 1);
        assert_eq!(
            rows[1],
            ["W03", "3号窗口", "县人社局", "2", "0", "0", "1", "1", "0", "50.00%", "0", "3", "12", "否"]
        );
        assert_eq!(
            rows[2],
            ["合计", "1 个窗口", "", "2", "0", "0", "1", "1", "0", "50.00%", "0", "", "", ""]
        );
        let people = text_rows(&browser.eval(&rows_of("table#people")));
        let names: Vec<&str> = people[1..].iter().map(|row| row[1].as_str()).collect();
        assert_eq!(names, ["李振华"]);
        assert_eq!(
            browser.eval("document.querySelector('table#patterns') === null"),
            true
        );
    })
    .await;
    if let Err(error) = checks {
        std::panic::resume_unwind(error.into_panic());
    }
}
