// The labextension builder loads an .svg imported from TypeScript as its source text.
declare module '*.svg' {
  const svgstr: string;
  export default svgstr;
}
