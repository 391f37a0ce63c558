/** What R6's workflow process (rss-child.cjs) runs: an output flood, or many records in one run. */
export type Load =
  { readonly kind: 'flood'; readonly bytes: number } | { readonly kind: 'records'; readonly count: number }
