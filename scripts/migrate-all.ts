console.log("ROOT", process.argv.slice(2))
