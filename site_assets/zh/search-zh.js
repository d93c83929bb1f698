/* Chinese queries for Sphinx's search (the Chinese edition only).
 *
 * Sphinx indexes Chinese pages with jieba, but in the browser it splits a query only at
 * non-letters: 损失函数 stays one term, and a page is found only if the index happens to hold
 * exactly that word. This splitter cuts every run of Chinese characters into the longest words
 * that the index knows (forward maximum matching), so 卷积神经网络 becomes 卷积 + 神经网络 when
 * the index has those. searchtools.js uses a global `splitQuery` when one is defined before it.
 */
var splitQuery = (query) => {
  const LONGEST = 8; // characters: longer Chinese words are rare in an index
  const index = (typeof Search !== "undefined" && Search._index) || {};
  const known = (word) =>
    Object.hasOwn(index.terms || {}, word) || Object.hasOwn(index.titleterms || {}, word);
  const words = [];
  for (const part of query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)) {
    for (const run of part.match(/\p{Script=Han}+|[^\p{Script=Han}]+/gu) || []) {
      if (!/\p{Script=Han}/u.test(run) || known(run)) {
        words.push(run);
        continue;
      }
      const found = [];
      for (let start = 0; start < run.length; ) {
        let length = Math.min(LONGEST, run.length - start);
        while (length > 1 && !known(run.substr(start, length))) length -= 1;
        if (length > 1) found.push(run.substr(start, length));
        start += length; // a single character is never indexed: skip it
      }
      // Nothing known: keep the run, so the search says "no results" instead of matching all.
      words.push(...(found.length ? found : [run]));
    }
  }
  return words;
};
