// Runs Lighthouse's accessibility category (mobile preset) on a list of pages, one at a
// time, each in a fresh Chromium: a shared one would keep the cookies a page set and send
// them with the next page's Cookie header. Called by bench/lighthouse:
//   node bench/_lighthouse.mjs NODE_MODULES_DIR < pages.json
// pages.json: [{"name": ..., "url": ..., "headers": {"Cookie": ...}}, ...]
// Prints one JSON line per page: {name, url, final, score, failing: [{id, title, items}]}.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const load = (name, file) => import(pathToFileURL(join(modules, name, file)).href);
const { default: lighthouse } = await load("lighthouse", "core/index.js");
const chromeLauncher = await load("chrome-launcher", "dist/index.js");

const pages = JSON.parse(readFileSync(0, "utf8"));
for (const page of pages) {
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
    chromeFlags: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  let line;
  try {
    const result = await lighthouse(page.url, {
      port: chrome.port, output: "json", logLevel: "error", onlyCategories: ["accessibility"],
      extraHeaders: page.headers || {}, disableFullPageScreenshot: true,
      ignoreStatusCode: true,  // the error pages (404, 400, 403…) are pages too
    });
    const lhr = result.lhr;
    const category = lhr.categories.accessibility;
    const failing = category.auditRefs
      .filter((ref) => ref.weight > 0)
      .map((ref) => lhr.audits[ref.id])
      .filter((audit) => audit.score !== null && audit.score < 1)
      .map((audit) => ({
        id: audit.id, title: audit.title,
        items: ((audit.details && audit.details.items) || []).map((item) => ({
          selector: item.node && item.node.selector, snippet: item.node && item.node.snippet,
          explanation: item.node && item.node.explanation,
        })),
      }));
    line = { name: page.name, url: page.url, final: lhr.finalDisplayedUrl, score: category.score,
             failing, error: lhr.runtimeError ? lhr.runtimeError.message : null };
  } catch (error) {
    line = { name: page.name, url: page.url, score: null, failing: [], error: String(error) };
  } finally {
    chrome.kill();
  }
  process.stdout.write(JSON.stringify(line) + "\n");
}
