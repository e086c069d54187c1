console.log("CLI", process.cwd(), process.argv.slice(2))
