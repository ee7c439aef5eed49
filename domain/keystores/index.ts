export { encodeJks, encodeJksTruststore } from './jks';
export { generateKeystorePassword, keystorePasswordFor } from './password';
export { encodePkcs12, encodePkcs12Truststore, type Pkcs12Profile } from './pkcs12';
export * from './bundle';
