/**
 * axios's CommonJS build, the one acme-client requires: importing 'axios' from an ES module
 * resolves to its ES module build instead, and a bundle then holds and loads axios twice (≈ 230 kB
 * more per process). Typed as 'axios'.
 */
declare module 'axios/dist/node/axios.cjs' {
  import axios from 'axios';

  export default axios;
}
